<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Generate</source>
        <translation>Erzeugen</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Draw an extent and generate an image for it.</source>
        <translation>Zeichnen Sie eine Ausdehnung und erzeugen Sie ein Bild dafür.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Super-resolve</source>
        <translation>Superauflösung</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Sentinel-2 bands to high-resolution RGB, aligned to the input grid.</source>
        <translation>Sentinel-2-Bänder zu hochaufgelöstem RGB, am Eingaberaster ausgerichtet.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Inpaint</source>
        <translation>Auffüllen</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Fill clouds or any masked area of a raster layer.</source>
        <translation>Wolken oder beliebige maskierte Bereiche eines Rasterlayers auffüllen.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Multi-date predict</source>
        <translation>Multitemporale Vorhersage</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Predict an image at another date from dated layers.</source>
        <translation>Ein Bild zu einem anderen Datum aus datierten Layern vorhersagen.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="20"/>
        <source>DiffusionSat</source>
        <translation>DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="29"/>
        <source>Missing Python packages: {}. The tasks are disabled until they are installed.</source>
        <translation>Fehlende Python-Pakete: {}. Die Werkzeuge sind deaktiviert, bis sie installiert sind.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="46"/>
        <source>Generate, super-resolve, inpaint or predict satellite imagery with DiffusionSat</source>
        <translation>Satellitenbilder mit DiffusionSat erzeugen, hochauflösen, auffüllen oder vorhersagen</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="90"/>
        <source>DiffusionSat needs Python packages that this QGIS cannot import: {}</source>
        <translation>DiffusionSat benötigt Python-Pakete, die dieses QGIS nicht importieren kann: {}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="93"/>
        <source>Details…</source>
        <translation>Details…</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="99"/>
        <source>DiffusionSat: missing Python packages</source>
        <translation>DiffusionSat: fehlende Python-Pakete</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="99"/>
        <source>These packages are missing:</source>
        <translation>Diese Pakete fehlen:</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="23"/>
        <source>DiffusionSat generative satellite imagery</source>
        <translation>DiffusionSat – generative Satellitenbilder</translation>
    </message>
</context>
</TS>
