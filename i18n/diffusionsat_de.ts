<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="113"/>
        <source>Generate</source>
        <translation>Erzeugen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="33"/>
        <source>Draw an extent and generate an image for it.</source>
        <translation>Zeichnen Sie eine Ausdehnung und erzeugen Sie ein Bild dafür.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="55"/>
        <source>Super-resolve</source>
        <translation>Superauflösung</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="24"/>
        <source>Sentinel-2 bands to high-resolution RGB, aligned to the input grid.</source>
        <translation>Sentinel-2-Bänder zu hochaufgelöstem RGB, am Eingaberaster ausgerichtet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="249"/>
        <source>Inpaint</source>
        <translation>Auffüllen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="67"/>
        <source>Fill clouds or any masked area of a raster layer.</source>
        <translation>Wolken oder beliebige maskierte Bereiche eines Rasterlayers auffüllen.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="96"/>
        <source>Multi-date predict</source>
        <translation>Multitemporale Vorhersage</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="29"/>
        <source>Predict an image at another date from dated layers.</source>
        <translation>Ein Bild zu einem anderen Datum aus datierten Layern vorhersagen.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="20"/>
        <source>DiffusionSat</source>
        <translation>DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="47"/>
        <source>Missing Python packages: {}. The tasks are disabled until they are installed.</source>
        <translation>Fehlende Python-Pakete: {}. Die Werkzeuge sind deaktiviert, bis sie installiert sind.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="62"/>
        <source>Generate, super-resolve, inpaint or predict satellite imagery with DiffusionSat</source>
        <translation>Satellitenbilder mit DiffusionSat erzeugen, hochauflösen, auffüllen oder vorhersagen</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="108"/>
        <source>DiffusionSat needs Python packages that this QGIS cannot import: {}</source>
        <translation>DiffusionSat benötigt Python-Pakete, die dieses QGIS nicht importieren kann: {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="463"/>
        <source>Details…</source>
        <translation>Details…</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="260"/>
        <source>These packages are missing:</source>
        <translation>Diese Pakete fehlen:</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="23"/>
        <source>DiffusionSat generative satellite imagery</source>
        <translation>DiffusionSat – generative Satellitenbilder</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="137"/>
        <source>missing</source>
        <translation>fehlt</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="155"/>
        <source>torch cannot be imported: {}</source>
        <translation>torch kann nicht importiert werden: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="159"/>
        <source>CUDA device {}: {}</source>
        <translation>CUDA-Gerät {}: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="161"/>
        <source>CUDA: not available, the CPU is used</source>
        <translation>CUDA: nicht verfügbar, die CPU wird verwendet</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="164"/>
        <source>Apple MPS: available</source>
        <translation>Apple MPS: verfügbar</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="176"/>
        <source>Python interpreter for pip: {}</source>
        <translation>Python-Interpreter für pip: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="176"/>
        <source>not found</source>
        <translation>nicht gefunden</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="178"/>
        <source>Packages folder: {} ({})</source>
        <translation>Paketordner: {} ({})</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="178"/>
        <source>on sys.path</source>
        <translation>in sys.path</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="178"/>
        <source>not used</source>
        <translation>nicht verwendet</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="190"/>
        <source>Device: not checked (press Check device)</source>
        <translation>Gerät: nicht geprüft (auf „Gerät prüfen“ klicken)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="193"/>
        <source>Device setting: {}, precision {}</source>
        <translation>Geräteeinstellung: {}, Genauigkeit {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="196"/>
        <source>Model for {}: {}</source>
        <translation>Modell für {}: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="197"/>
        <source>Output folder: {}</source>
        <translation>Ausgabeordner: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="205"/>
        <source>DiffusionSat: dependencies and diagnostics</source>
        <translation>DiffusionSat: Abhängigkeiten und Diagnose</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="344"/>
        <source>Install the missing packages</source>
        <translation>Fehlende Pakete installieren</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="217"/>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="225"/>
        <source>Packages are installed into {} with {}.</source>
        <translation>Die Pakete werden in {} mit {} installiert.</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="225"/>
        <source>(no Python interpreter found)</source>
        <translation>(kein Python-Interpreter gefunden)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="242"/>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="245"/>
        <source>Check device</source>
        <translation>Gerät prüfen</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="262"/>
        <source>All the packages DiffusionSat needs are installed.</source>
        <translation>Alle Pakete, die DiffusionSat benötigt, sind installiert.</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="279"/>
        <source>No Python interpreter was found next to {}.</source>
        <translation>Neben {} wurde kein Python-Interpreter gefunden.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="51"/>
        <source>Install…</source>
        <translation>Installieren…</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="87"/>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="190"/>
        <source>Band {}</source>
        <translation>Band {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="240"/>
        <source>Run</source>
        <translation>Ausführen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="243"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="353"/>
        <source>DiffusionSat: {}</source>
        <translation>DiffusionSat: {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="340"/>
        <source>Running…</source>
        <translation>Läuft…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="369"/>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="441"/>
        <source>DiffusionSat {} {}</source>
        <translation>DiffusionSat {} {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="445"/>
        <source>{} uncertainty</source>
        <translation>{} Unsicherheit</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="447"/>
        <source>Done in {} s (seed {}): {}</source>
        <translation>Fertig in {} s (Seed {}): {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="461"/>
        <source>DiffusionSat {}</source>
        <translation>DiffusionSat {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="464"/>
        <source>DiffusionSat error</source>
        <translation>DiffusionSat-Fehler</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="117"/>
        <source>Cancelled: nothing was written.</source>
        <translation>Abgebrochen: Es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="487"/>
        <source>The output {} could not be opened as a layer.</source>
        <translation>Die Ausgabe {} konnte nicht als Layer geöffnet werden.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="38"/>
        <source>Draw extent</source>
        <translation>Ausdehnung zeichnen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="41"/>
        <source>Press, drag and release on the map to draw the extent to generate.</source>
        <translation>Auf der Karte klicken, ziehen und loslassen, um die zu erzeugende Ausdehnung zu zeichnen.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="147"/>
        <source>Clear</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="187"/>
        <source>No extent drawn yet.</source>
        <translation>Noch keine Ausdehnung gezeichnet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="56"/>
        <source>Size (pixels)</source>
        <translation>Größe (Pixel)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="58"/>
        <source>Keep the output width in pixels when the extent changes; the resolution follows.</source>
        <translation>Die Ausgabebreite in Pixeln beibehalten, wenn sich die Ausdehnung ändert; die Auflösung folgt.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="60"/>
        <source>Resolution (m/pixel)</source>
        <translation>Auflösung (m/Pixel)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="62"/>
        <source>Keep the resolution when the extent changes; the size in pixels follows.</source>
        <translation>Die Auflösung beibehalten, wenn sich die Ausdehnung ändert; die Größe in Pixeln folgt.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="72"/>
        <source> px wide</source>
        <translation> px breit</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="75"/>
        <source>metres per pixel</source>
        <translation>Meter pro Pixel</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="81"/>
        <source>Output:</source>
        <translation>Ausgabe:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="83"/>
        <source>YYYY-MM-DD</source>
        <translation>JJJJ-MM-TT</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="94"/>
        <source>e.g. a satellite image of farmland</source>
        <translation>z. B. ein Satellitenbild von Ackerland</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="95"/>
        <source>Centre longitude (°):</source>
        <translation>Länge des Mittelpunkts (°):</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="96"/>
        <source>Centre latitude (°):</source>
        <translation>Breite des Mittelpunkts (°):</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="97"/>
        <source>Date:</source>
        <translation>Datum:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="98"/>
        <source>Cloud cover (%):</source>
        <translation>Wolkenbedeckung (%):</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="88"/>
        <source>Prompt:</source>
        <translation>Prompt:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="180"/>
        <source>Extent: {} ({})</source>
        <translation>Ausdehnung: {} ({})</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="224"/>
        <source>draw an extent</source>
        <translation>zeichnen Sie eine Ausdehnung</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="233"/>
        <source>{} × {} px, {} × {} km</source>
        <translation>{} × {} px, {} × {} km</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="262"/>
        <source>Longitude must be a number between -180 and 180 degrees.</source>
        <translation>Die Länge muss eine Zahl zwischen -180 und 180 Grad sein.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="265"/>
        <source>Latitude must be a number between -90 and 90 degrees.</source>
        <translation>Die Breite muss eine Zahl zwischen -90 und 90 Grad sein.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="268"/>
        <source>The resolution must be a number of metres per pixel above 0.</source>
        <translation>Die Auflösung muss eine Zahl von Metern pro Pixel größer als 0 sein.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="268"/>
        <source>Ground sample distance</source>
        <translation>Bodenauflösung (GSD)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="270"/>
        <source>The date must be a real date written YYYY-MM-DD (or empty when unknown).</source>
        <translation>Das Datum muss ein echtes Datum im Format JJJJ-MM-TT sein (oder leer, wenn unbekannt).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="270"/>
        <source>Acquisition date; empty when unknown</source>
        <translation>Aufnahmedatum; leer, wenn unbekannt</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="273"/>
        <source>Cloud cover must be a percentage between 0 and 100.</source>
        <translation>Die Wolkenbedeckung muss ein Prozentsatz zwischen 0 und 100 sein.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="273"/>
        <source>Cloud cover of the image to generate</source>
        <translation>Wolkenbedeckung des zu erzeugenden Bildes</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="276"/>
        <source>Draw an extent on the map first.</source>
        <translation>Zeichnen Sie zuerst eine Ausdehnung auf der Karte.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="27"/>
        <source>Sentinel-2 SCL clouds/shadows: 3,8,9,10</source>
        <translation>Sentinel-2 SCL Wolken/Schatten: 3,8,9,10</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="27"/>
        <source>Landsat QA_PIXEL: 1,2,3,4</source>
        <translation>Landsat QA_PIXEL: 1,2,3,4</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="27"/>
        <source>Custom</source>
        <translation>Benutzerdefiniert</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="76"/>
        <source>Raster layer:</source>
        <translation>Rasterlayer:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="78"/>
        <source>RGB bands:</source>
        <translation>RGB-Bänder:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="82"/>
        <source>Mask</source>
        <translation>Maske</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="86"/>
        <source>Polygon layer</source>
        <translation>Polygonlayer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="87"/>
        <source>Raster values</source>
        <translation>Rasterwerte</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="88"/>
        <source>Shape drawn on the map</source>
        <translation>Auf der Karte gezeichnete Form</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="105"/>
        <source>Polygons:</source>
        <translation>Polygone:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="118"/>
        <source>Mask layer:</source>
        <translation>Maskenlayer:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="123"/>
        <source>Preset:</source>
        <translation>Vorgabe:</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Classes (pixel values)</source>
        <translation>Klassen (Pixelwerte)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Bits set</source>
        <translation>Gesetzte Bits</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Any non-zero pixel</source>
        <translation>Jedes Pixel ungleich null</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="129"/>
        <source>Values are:</source>
        <translation>Die Werte sind:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="132"/>
        <source>comma-separated integers</source>
        <translation>durch Kommas getrennte Ganzzahlen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="133"/>
        <source>Values:</source>
        <translation>Werte:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="142"/>
        <source>Draw shape</source>
        <translation>Form zeichnen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="145"/>
        <source>Click the corners on the map; right-click to finish.</source>
        <translation>Klicken Sie die Ecken auf der Karte an; Rechtsklick zum Beenden.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="306"/>
        <source>No shape drawn yet.</source>
        <translation>Noch keine Form gezeichnet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="183"/>
        <source> m</source>
        <translation> m</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="184"/>
        <source>Grow the mask by this distance, to cover cloud edges and thin haze.</source>
        <translation>Die Maske um diese Distanz vergrößern, um Wolkenränder und leichten Dunst abzudecken.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="185"/>
        <source>Grow mask by:</source>
        <translation>Maske vergrößern um:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="87"/>
        <source>optional</source>
        <translation>optional</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="297"/>
        <source>A shape with {} corners ({}).</source>
        <translation>Eine Form mit {} Ecken ({}).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="86"/>
        <source>Choose a raster layer.</source>
        <translation>Wählen Sie einen Rasterlayer.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="404"/>
        <source>Choose a polygon layer for the mask.</source>
        <translation>Wählen Sie einen Polygonlayer für die Maske.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="324"/>
        <source>Choose a mask raster layer.</source>
        <translation>Wählen Sie einen Masken-Rasterlayer.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="74"/>
        <source>The mask values must be comma-separated whole numbers, e.g. 3,8,9,10.</source>
        <translation>Die Maskenwerte müssen durch Kommas getrennte ganze Zahlen sein, z. B. 3,8,9,10.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="424"/>
        <source>Draw a shape on the map for the mask.</source>
        <translation>Zeichnen Sie eine Form auf der Karte für die Maske.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="410"/>
        <source>The polygon layer &apos;{}&apos; has no polygons.</source>
        <translation>Der Polygonlayer „{}“ enthält keine Polygone.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="41"/>
        <source>The layer '{}' is not a file raster: save it as a GeoTIFF first (Export, Save As…).</source>
        <translation>Der Layer „{}“ ist kein Datei-Raster: Speichern Sie ihn zuerst als GeoTIFF (Exportieren, Speichern unter…).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="43"/>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="45"/>
        <source>Add the layer with the date read from it (file name or GeoTIFF tags).</source>
        <translation>Den Layer mit dem daraus gelesenen Datum hinzufügen (Dateiname oder GeoTIFF-Tags).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="53"/>
        <source>Layer</source>
        <translation>Layer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="53"/>
        <source>Date (YYYY-MM-DD)</source>
        <translation>Datum (JJJJ-MM-TT)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="64"/>
        <source>Up</source>
        <translation>Nach oben</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="67"/>
        <source>Down</source>
        <translation>Nach unten</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="70"/>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="84"/>
        <source>Predict the date:</source>
        <translation>Vorherzusagendes Datum:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="103"/>
        <source>At most {} dated layers.</source>
        <translation>Höchstens {} datierte Layer.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="156"/>
        <source>Add 1 to 4 dated layers of the same place.</source>
        <translation>Fügen Sie 1 bis 4 datierte Layer desselben Ortes hinzu.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="162"/>
        <source>The layer of row {} was removed from the project.</source>
        <translation>Der Layer in Zeile {} wurde aus dem Projekt entfernt.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="164"/>
        <source>Row {}: the date must be a real date written YYYY-MM-DD.</source>
        <translation>Zeile {}: Das Datum muss ein echtes Datum im Format JJJJ-MM-TT sein.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="53"/>
        <source>The target date must be a real date written YYYY-MM-DD.</source>
        <translation>Das Zieldatum muss ein echtes Datum im Format JJJJ-MM-TT sein.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="171"/>
        <source>The date to predict</source>
        <translation>Das vorherzusagende Datum</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="182"/>
        <source>A layer of the list was removed from the project.</source>
        <translation>Ein Layer der Liste wurde aus dem Projekt entfernt.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="25"/>
        <source>The model cannot be checked because the backend cannot be loaded: {}</source>
        <translation>Das Modell kann nicht geprüft werden, weil das Backend nicht geladen werden kann: {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="46"/>
        <source>Models</source>
        <translation>Modelle</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Generate:</source>
        <translation>Erzeugen:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Super-resolve:</source>
        <translation>Superauflösung:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Inpaint:</source>
        <translation>Auffüllen:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Multi-date predict:</source>
        <translation>Multitemporale Vorhersage:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="55"/>
        <source>Model folder</source>
        <translation>Modellordner</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="56"/>
        <source>bundled {}</source>
        <translation>mitgeliefertes {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="65"/>
        <source>Choose a model folder to check it; empty uses the bundled model.</source>
        <translation>Wählen Sie einen Modellordner, um ihn zu prüfen; leer verwendet das mitgelieferte Modell.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="80"/>
        <source>Sampling</source>
        <translation>Sampling</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>Automatic</source>
        <translation>Automatisch</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="85"/>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (NVIDIA-GPU)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="87"/>
        <source>Device:</source>
        <translation>Gerät:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="90"/>
        <source>float32 (exact)</source>
        <translation>float32 (exakt)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="90"/>
        <source>bfloat16 (faster)</source>
        <translation>bfloat16 (schneller)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="90"/>
        <source>float16 (CUDA only)</source>
        <translation>float16 (nur CUDA)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="93"/>
        <source>Precision:</source>
        <translation>Genauigkeit:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="97"/>
        <source>Steps:</source>
        <translation>Schritte:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="100"/>
        <source>DDIM (as in the paper)</source>
        <translation>DDIM (wie im Artikel)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="101"/>
        <source>DPM-Solver++ (fewer steps)</source>
        <translation>DPM-Solver++ (weniger Schritte)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="102"/>
        <source>Scheduler:</source>
        <translation>Scheduler:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="114"/>
        <source>Guidance:</source>
        <translation>Guidance:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="118"/>
        <source>Random</source>
        <translation>Zufällig</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="119"/>
        <source>Fixed</source>
        <translation>Fest</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="125"/>
        <source>Seed:</source>
        <translation>Seed:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="128"/>
        <source>Reuse</source>
        <translation>Wiederverwenden</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="130"/>
        <source>Fix the seed to the one of the latest run, to reproduce it.</source>
        <translation>Den Seed auf den des letzten Laufs festlegen, um ihn zu reproduzieren.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="135"/>
        <source>Latest seed:</source>
        <translation>Letzter Seed:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="145"/>
        <source>Tiles and output</source>
        <translation>Kacheln und Ausgabe</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="152"/>
        <source>model&apos;s native size</source>
        <translation>native Größe des Modells</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="159"/>
        <source> px</source>
        <translation> px</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="154"/>
        <source>Tile size:</source>
        <translation>Kachelgröße:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="160"/>
        <source>Tile overlap:</source>
        <translation>Kachelüberlappung:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="179"/>
        <source>Output folder</source>
        <translation>Ausgabeordner</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="181"/>
        <source>Output folder:</source>
        <translation>Ausgabeordner:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="187"/>
        <source>Dependencies and diagnostics…</source>
        <translation>Abhängigkeiten und Diagnose…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="258"/>
        <source>none yet</source>
        <translation>noch keiner</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="304"/>
        <source>{}: the bundled model {}.</source>
        <translation>{}: das mitgelieferte Modell {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="307"/>
        <source>Model folder usable.</source>
        <translation>Modellordner verwendbar.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="307"/>
        <source>This folder cannot be used as a model:</source>
        <translation>Dieser Ordner kann nicht als Modell verwendet werden:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="33"/>
        <source>Sentinel-2 layer:</source>
        <translation>Sentinel-2-Layer:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="36"/>
        <source>Bands (model order)</source>
        <translation>Bänder (Reihenfolge des Modells)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="61"/>
        <source>Choose a Sentinel-2 layer with the bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12.</source>
        <translation>Wählen Sie einen Sentinel-2-Layer mit den Bändern B4 B3 B2 B5 B6 B7 B8 B8A B11 B12.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="68"/>
        <source>Not recognised from the band names: {}. Choose them by hand.</source>
        <translation>Anhand der Bandnamen nicht erkannt: {}. Wählen Sie sie von Hand.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="71"/>
        <source>All ten bands recognised from the band names.</source>
        <translation>Alle zehn Bänder wurden anhand der Bandnamen erkannt.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="94"/>
        <source>Choose the band {}.</source>
        <translation>Wählen Sie das Band {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="108"/>
        <source>Choose all ten bands.</source>
        <translation>Wählen Sie alle zehn Bänder.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="57"/>
        <source>Output GeoTIFF</source>
        <translation>Ausgabe-GeoTIFF</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="58"/>
        <source>Seed used</source>
        <translation>Verwendeter Seed</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="102"/>
        <source>The DiffusionSat backend cannot be loaded: {}</source>
        <translation>Das DiffusionSat-Backend kann nicht geladen werden: {}</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="122"/>
        <source>Seed {}, {} s: {}</source>
        <translation>Seed {}, {} s: {}</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="144"/>
        <source>Model folder (empty: the bundled model)</source>
        <translation>Modellordner (leer: das mitgelieferte Modell)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="147"/>
        <source>Sampling steps</source>
        <translation>Sampling-Schritte</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="152"/>
        <source>Scheduler</source>
        <translation>Scheduler</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="154"/>
        <source>Seed (-1: random)</source>
        <translation>Seed (-1: zufällig)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>CUDA</source>
        <translation>CUDA</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="162"/>
        <source>Tile size in pixels (0: the model&apos;s own)</source>
        <translation>Kachelgröße in Pixeln (0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="164"/>
        <source>Tile overlap in pixels</source>
        <translation>Kachelüberlappung in Pixeln</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="19"/>
        <source>Generate image for extent</source>
        <translation>Bild für eine Ausdehnung erzeugen</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="22"/>
        <source>Generates a georeferenced image covering the extent at the given ground sample distance (metres per pixel). The model is conditioned on the extent&apos;s centre longitude and latitude, the GSD, the date, the cloud cover and the prompt. The CRS is the one chosen, else the extent&apos;s own.</source>
        <translation>Erzeugt ein georeferenziertes Bild, das die Ausdehnung mit der angegebenen Bodenauflösung (Meter pro Pixel) abdeckt. Das Modell wird auf Länge und Breite des Mittelpunkts der Ausdehnung, die GSD, das Datum, die Wolkenbedeckung und den Prompt konditioniert. Das KBS ist das gewählte, sonst das der Ausdehnung.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="28"/>
        <source>Extent</source>
        <translation>Ausdehnung</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="29"/>
        <source>CRS of the output (empty: the extent&apos;s CRS)</source>
        <translation>KBS der Ausgabe (leer: das KBS der Ausdehnung)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="31"/>
        <source>Ground sample distance (metres per pixel)</source>
        <translation>Bodenauflösung (Meter pro Pixel)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="31"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="34"/>
        <source>Date (YYYY-MM-DD, empty: unknown)</source>
        <translation>Datum (JJJJ-MM-TT, leer: unbekannt)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="36"/>
        <source>Cloud cover (%)</source>
        <translation>Wolkenbedeckung (%)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="46"/>
        <source>The extent has no CRS: choose one in the CRS parameter.</source>
        <translation>Die Ausdehnung hat kein KBS: Wählen Sie eines im KBS-Parameter.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="49"/>
        <source>The extent is empty: give one with a non-zero width and height.</source>
        <translation>Die Ausdehnung ist leer: Geben Sie eine mit Breite und Höhe ungleich null an.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="46"/>
        <source>The date must be a real date written YYYY-MM-DD, got {}.</source>
        <translation>Das Datum muss ein echtes Datum im Format JJJJ-MM-TT sein, erhalten: {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="24"/>
        <source>Inpaint masked area</source>
        <translation>Maskierten Bereich auffüllen</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="34"/>
        <source>Raster to inpaint</source>
        <translation>Aufzufüllendes Raster</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="35"/>
        <source>RGB bands (empty: the first three)</source>
        <translation>RGB-Bänder (leer: die ersten drei)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="37"/>
        <source>Mask polygons</source>
        <translation>Maskenpolygone</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="39"/>
        <source>Mask raster</source>
        <translation>Maskenraster</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Mask raster values are</source>
        <translation>Die Werte des Maskenrasters sind</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="43"/>
        <source>Mask values, e.g. 3,8,9,10</source>
        <translation>Maskenwerte, z. B. 3,8,9,10</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="45"/>
        <source>Grow the mask by (metres)</source>
        <translation>Maske vergrößern um (Meter)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="59"/>
        <source>Give exactly one mask: polygons or a mask raster.</source>
        <translation>Geben Sie genau eine Maske an: Polygone oder ein Maskenraster.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="79"/>
        <source>Choose three RGB bands, or none; got {}.</source>
        <translation>Wählen Sie drei RGB-Bänder oder keines; erhalten: {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="18"/>
        <source>Predict image at another date</source>
        <translation>Bild zu einem anderen Datum vorhersagen</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="21"/>
        <source>Predicts the image of a place at the target date from 1 to 4 dated rasters of that place on the same grid. The dates are given in the same order as the rasters, separated by commas (YYYY-MM-DD); an empty entry is read from the raster (product name or GeoTIFF tags).</source>
        <translation>Sagt das Bild eines Ortes zum Zieldatum aus 1 bis 4 datierten Rastern dieses Ortes auf demselben Raster vorher. Die Daten werden in derselben Reihenfolge wie die Raster angegeben, durch Kommas getrennt (JJJJ-MM-TT); ein leerer Eintrag wird aus dem Raster gelesen (Produktname oder GeoTIFF-Tags).</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="26"/>
        <source>Dated rasters (1 to 4)</source>
        <translation>Datierte Raster (1 bis 4)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="28"/>
        <source>Their dates, comma-separated YYYY-MM-DD (empty: read from the rasters)</source>
        <translation>Ihre Daten, JJJJ-MM-TT durch Kommas getrennt (leer: aus den Rastern gelesen)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="30"/>
        <source>Date to predict (YYYY-MM-DD)</source>
        <translation>Vorherzusagendes Datum (JJJJ-MM-TT)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="40"/>
        <source>{} dates for {} rasters.</source>
        <translation>{} Daten für {} Raster.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="48"/>
        <source>No date for {}: give it in the dates parameter.</source>
        <translation>Kein Datum für {}: Geben Sie es im Datumsparameter an.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="18"/>
        <source>Super-resolve Sentinel-2</source>
        <translation>Sentinel-2-Superauflösung</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="21"/>
        <source>Super-resolves a Sentinel-2 raster to high-resolution RGB on a pixel grid aligned to the input. The bands are B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 in this order: chosen here, or, when none are chosen, found by their band descriptions.</source>
        <translation>Rechnet ein Sentinel-2-Raster in hochaufgelöstes RGB auf einem an der Eingabe ausgerichteten Pixelraster hoch. Die Bänder sind B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 in dieser Reihenfolge: hier gewählt oder, wenn keine gewählt sind, anhand ihrer Bandbeschreibungen gefunden.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="26"/>
        <source>Sentinel-2 raster</source>
        <translation>Sentinel-2-Raster</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="27"/>
        <source>Bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, in this order (empty: by band name)</source>
        <translation>Bänder B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 in dieser Reihenfolge (leer: nach Bandnamen)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="37"/>
        <source>Choose the ten bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, or none; got {}.</source>
        <translation>Wählen Sie die zehn Bänder B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 oder keines; erhalten: {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="139"/>
        <source>More than one: the output is the mean of the samples, and a second layer shows their spread (uncertainty).</source>
        <translation>Mehr als eins: Die Ausgabe ist der Mittelwert der Samples, und ein zweiter Layer zeigt ihre Streuung (Unsicherheit).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="141"/>
        <source>Samples:</source>
        <translation>Samples:</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="59"/>
        <source>Uncertainty (spread of the samples)</source>
        <translation>Unsicherheit (Streuung der Samples)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="156"/>
        <source>Samples (more than 1: mean and uncertainty)</source>
        <translation>Samples (mehr als eins: Mittelwert und Unsicherheit)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="163"/>
        <source>This position cannot be shown in the extent&apos;s CRS.</source>
        <translation>Diese Position kann im KBS der Ausdehnung nicht dargestellt werden.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="262"/>
        <source>Centre longitude, WGS84 degrees; editing it moves the extent</source>
        <translation>Länge des Mittelpunkts, WGS84-Grad; eine Änderung verschiebt die Ausdehnung</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="265"/>
        <source>Centre latitude, WGS84 degrees; editing it moves the extent</source>
        <translation>Breite des Mittelpunkts, WGS84-Grad; eine Änderung verschiebt die Ausdehnung</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="108"/>
        <source>Model&apos;s recommendation</source>
        <translation>Empfehlung des Modells</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="149"/>
        <source>Guidance scale (1 = off, 0 = the model&apos;s recommendation)</source>
        <translation>Guidance-Skala (1 = aus, 0 = Empfehlung des Modells)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="38"/>
        <source>Self-check off: the model fill is used everywhere, unchecked.</source>
        <translation>Selbstprüfung aus: Die Füllung des Modells wird überall ungeprüft verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="40"/>
        <source>No nearby known pixels to check the model on: classical fill used for {} % of masked pixels.</source>
        <translation>Keine bekannten Pixel in der Nähe, um das Modell zu prüfen: klassische Füllung für {} % der maskierten Pixel verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="52"/>
        <source>Model {} dB, classical {} dB on nearby known pixels; classical fill used for {} % of masked pixels.</source>
        <translation>Modell {} dB, klassisch {} dB auf bekannten Pixeln in der Nähe; klassische Füllung für {} % der maskierten Pixel verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="107"/>
        <source> and {} more</source>
        <translation> und {} weitere</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="83"/>
        <source>The model folder {} does not exist (Settings).</source>
        <translation>Der Modellordner {} existiert nicht (Einstellungen).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="89"/>
        <source>The model folder {} cannot be used (Settings): {}</source>
        <translation>Der Modellordner {} ist nicht verwendbar (Einstellungen): {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="108"/>
        <source>{}. Start it?</source>
        <translation>{}. Starten?</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="329"/>
        <source>DiffusionSat: estimating {}</source>
        <translation>DiffusionSat: Schätzung für {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="329"/>
        <source>Estimating the time…</source>
        <translation>Dauer wird geschätzt…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="342"/>
        <source>This will take {}</source>
        <translation>Voraussichtliche Dauer: {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="346"/>
        <source>Not started. {}.</source>
        <translation>Nicht gestartet. {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="348"/>
        <source>Running: {}…</source>
        <translation>Läuft: {}…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="439"/>
        <source>DiffusionSat {} – {} – {}</source>
        <translation>DiffusionSat {} – {} – {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="120"/>
        <source>That extent has no area, so it was not taken: press, drag to the opposite corner, release.</source>
        <translation>Dieser Ausschnitt hat keine Fläche und wurde nicht übernommen: drücken, zur gegenüberliegenden Ecke ziehen, loslassen.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="164"/>
        <source>automatic</source>
        <translation>automatisch</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="165"/>
        <source>CPU threads. Automatic: one for small models, all cores for large ones, waiting without spinning so that other programs keep their share.</source>
        <translation>CPU-Threads. Automatisch: einer für kleine Modelle, alle Kerne für große, mit passivem Warten, damit andere Programme ihren Anteil behalten.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="167"/>
        <source>CPU threads:</source>
        <translation>CPU-Threads:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="172"/>
        <source>never ask</source>
        <translation>nie fragen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="173"/>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="174"/>
        <source>Ask before starting a job estimated to take longer than this.</source>
        <translation>Vor dem Start einer Aufgabe fragen, deren geschätzte Dauer diesen Wert überschreitet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="175"/>
        <source>Ask before jobs longer than:</source>
        <translation>Fragen bei Aufgaben länger als:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="65"/>
        <source>This layer has {} bands; super-resolution needs ten different Sentinel-2 bands (B4 B3 B2 B5 B6 B7 B8 B8A B11 B12).</source>
        <translation>Dieser Layer hat {} Kanäle; die Superauflösung braucht zehn verschiedene Sentinel-2-Kanäle (B4 B3 B2 B5 B6 B7 B8 B8A B11 B12).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="96"/>
        <source>Band {} of the layer is chosen more than once.</source>
        <translation>Kanal {} des Layers ist mehrfach gewählt.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="41"/>
        <source>Image synthesis</source>
        <translation>Bildsynthese</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="41"/>
        <source>Image enhancement</source>
        <translation>Bildverbesserung</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="42"/>
        <source>Time series</source>
        <translation>Zeitreihen</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="114"/>
        <source>This will take {}.</source>
        <translation>Voraussichtliche Dauer: {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="160"/>
        <source>CPU threads (0: automatic)</source>
        <translation>CPU-Threads (0: automatisch)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="126"/>
        <source>Self-check off: the model&apos;s output is used everywhere, unchecked.</source>
        <translation>Selbstprüfung aus: Die Ausgabe des Modells wird überall ungeprüft verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="128"/>
        <source>The raster is too small to check the model one scale down: the model&apos;s output is used everywhere.</source>
        <translation>Das Raster ist zu klein, um das Modell eine Maßstabsstufe tiefer zu prüfen: Die Ausgabe des Modells wird überall verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="132"/>
        <source>Model {} dB, bicubic {} dB, written {} dB on the input one scale down; bicubic alone for {} % of tiles, the model&apos;s detail at {} % on average.</source>
        <translation>Modell {} dB, bikubisch {} dB, geschrieben {} dB auf der Eingabe eine Maßstabsstufe tiefer; nur bikubisch für {} % der Kacheln, das Detail des Modells im Mittel mit {} % gewichtet.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="64"/>
        <source>Add Sentinel-2 product…</source>
        <translation>Sentinel-2-Produkt hinzufügen…</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="66"/>
        <source>Open a downloaded .SAFE folder (its manifest.safe), its .zip or MTD_MSIL1C/2A.xml as a reflectance layer: offsets applied, bands named, date and cloud cover read.</source>
        <translation>Öffnet einen heruntergeladenen .SAFE-Ordner (seine manifest.safe), seine .zip oder MTD_MSIL1C/2A.xml als Reflexionslayer: Offsets angewandt, Bänder benannt, Datum und Bewölkung gelesen.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="89"/>
        <source>Clouds from the Sentinel-2 product</source>
        <translation>Wolken aus dem Sentinel-2-Produkt</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="165"/>
        <source>Scene classification (SCL) classes: 3 cloud shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus, 11 snow.</source>
        <translation>Klassen der Szenenklassifikation (SCL): 3 Wolkenschatten, 8 Wolken mittlerer Wahrscheinlichkeit, 9 Wolken hoher Wahrscheinlichkeit, 10 dünne Zirren, 11 Schnee.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="167"/>
        <source>SCL classes:</source>
        <translation>SCL-Klassen:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="169"/>
        <source>Preview mask</source>
        <translation>Maskenvorschau</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="421"/>
        <source>The layer is not a Sentinel-2 product: add it with 'Add Sentinel-2 product…'.</source>
        <translation>Der Layer ist kein Sentinel-2-Produkt: fügen Sie ihn mit „Sentinel-2-Produkt hinzufügen…“ hinzu.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="336"/>
        <source>The SCL classes must be comma-separated whole numbers, e.g. 3,8,9,10.</source>
        <translation>Die SCL-Klassen müssen durch Kommas getrennte ganze Zahlen sein, z. B. 3,8,9,10.</translation>
    </message>
    <message>
        <location filename="../plugin/sentinel2_layers.py" line="55"/>
        <source>Add Sentinel-2 product</source>
        <translation>Sentinel-2-Produkt hinzufügen</translation>
    </message>
    <message>
        <location filename="../plugin/sentinel2_layers.py" line="48"/>
        <source>Sentinel-2 products (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml manifest.safe)</source>
        <translation>Sentinel-2-Produkte (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml manifest.safe)</translation>
    </message>
    <message>
        <location filename="../plugin/tasks.py" line="44"/>
        <source>Task cancelled</source>
        <translation>Aufgabe abgebrochen</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="248"/>
        <source>Open log</source>
        <translation>Protokoll öffnen</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="270"/>
        <source>Log: {}</source>
        <translation>Protokoll: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="288"/>
        <source>Working out what to install…</source>
        <translation>Ermittle, was installiert werden muss…</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="294"/>
        <source>Installing…</source>
        <translation>Installation…</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="321"/>
        <source>pip failed (exit code {}). Nothing was changed; the details are in the log.</source>
        <translation>pip ist fehlgeschlagen (Exit-Code {}). Nichts wurde geändert; die Einzelheiten stehen im Protokoll.</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="335"/>
        <source>To install ({} packages, {} MB to download): {}</source>
        <translation>Zu installieren ({} Pakete, {} MB herunterzuladen): {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="337"/>
        <source>Install ({} MB)</source>
        <translation>Installieren ({} MB)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="354"/>
        <source>Installed, but torch, diffusers or transformers cannot be imported: {}</source>
        <translation>Installiert, aber torch, diffusers oder transformers lassen sich nicht importieren: {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="360"/>
        <source>Installed and checked. Restart QGIS to use DiffusionSat ({} already loaded).</source>
        <translation>Installiert und geprüft. Starten Sie QGIS neu, um DiffusionSat zu verwenden ({} bereits geladen).</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="363"/>
        <source>Installed and checked: DiffusionSat can be used now (reopen the dock).</source>
        <translation>Installiert und geprüft: DiffusionSat kann jetzt verwendet werden (Bedienfeld neu öffnen).</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="35"/>
        <source>Download the demo model ({} MB)</source>
        <translation>Demo-Modell herunterladen ({} MB)</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="36"/>
        <source>Download the demo model</source>
        <translation>Demo-Modell herunterladen</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="51"/>
        <source>No model is installed yet. Download the small demo model, or choose a folder with a DiffusionSat model.</source>
        <translation>Noch ist kein Modell installiert. Laden Sie das kleine Demo-Modell herunter oder wählen Sie einen Ordner mit einem DiffusionSat-Modell.</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="59"/>
        <source>Use a model folder…</source>
        <translation>Modellordner verwenden…</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="89"/>
        <source>{} of {} MB</source>
        <translation>{} von {} MB</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="93"/>
        <source>DiffusionSat: download the demo model</source>
        <translation>DiffusionSat: Demo-Modell herunterladen</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="101"/>
        <source>Downloading…</source>
        <translation>Herunterladen…</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="116"/>
        <source>The demo model is installed.</source>
        <translation>Das Demo-Modell ist installiert.</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="121"/>
        <source>The download failed: {}</source>
        <translation>Der Download ist fehlgeschlagen: {}</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="125"/>
        <source>Download cancelled; it resumes where it stopped next time.</source>
        <translation>Download abgebrochen; er wird beim nächsten Mal dort fortgesetzt, wo er aufgehört hat.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="68"/>
        <source>Install model from file…</source>
        <translation>Modell aus Datei installieren…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="70"/>
        <source>For computers without internet: the demo model&apos;s zip (diffusionsat-mini-&lt;version&gt;.zip) from the project&apos;s releases.</source>
        <translation>Für Rechner ohne Internet: das Zip des Demo-Modells (diffusionsat-mini-&lt;version&gt;.zip) aus den Veröffentlichungen des Projekts.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="75"/>
        <source>Model archive</source>
        <translation>Modellarchiv</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="75"/>
        <source>Zip archives (*.zip)</source>
        <translation>Zip-Archive (*.zip)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="280"/>
        <source>Installed {} in {}.</source>
        <translation>{} in {} installiert.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="287"/>
        <source>The model was not installed: {}</source>
        <translation>Das Modell wurde nicht installiert: {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="289"/>
        <source>DiffusionSat: install a model from a file</source>
        <translation>DiffusionSat: Modell aus Datei installieren</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="289"/>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="294"/>
        <source>Installing {}…</source>
        <translation>Installiere {}…</translation>
    </message>
    <message>
        <location filename="../plugin/cluster_jobs.py" line="31"/>
        <source>Run on a Dask cluster is on, but the Python of QGIS has no dask[distributed] ({}). Install it (pip install &apos;dask[distributed]&apos;) or turn the setting off in Settings.</source>
        <translation>Ausführen auf einem Dask-Cluster ist eingeschaltet, aber dem Python von QGIS fehlt dask[distributed] ({}). Installieren Sie es (pip install 'dask[distributed]') oder schalten Sie die Einstellung in den Einstellungen aus.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="18"/>
        <source>Run on a Dask cluster</source>
        <translation>Auf einem Dask-Cluster ausführen</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="22"/>
        <source>Send the dock&apos;s and Processing&apos;s jobs to a Dask scheduler instead of running them in QGIS. Its workers need the DiffusionSat backend, the model folder and the input and output folders at the same paths (a shared file system).</source>
        <translation>Die Aufträge des Panels und von Processing an einen Dask-Scheduler senden, statt sie in QGIS auszuführen. Seine Worker brauchen das DiffusionSat-Backend, den Modellordner sowie die Eingabe- und Ausgabeordner unter denselben Pfaden (ein gemeinsames Dateisystem).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="29"/>
        <source>Scheduler address:</source>
        <translation>Adresse des Schedulers:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="57"/>
        <source>Off: jobs run in QGIS.</source>
        <translation>Aus: Aufträge laufen in QGIS.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="59"/>
        <source>Type the scheduler&apos;s address; until then jobs run in QGIS.</source>
        <translation>Geben Sie die Adresse des Schedulers ein; bis dahin laufen Aufträge in QGIS.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="61"/>
        <source>Jobs run on {}.</source>
        <translation>Aufträge laufen auf {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="112"/>
        <source>Running on the Dask cluster {}.</source>
        <translation>Ausführung auf dem Dask-Cluster {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="190"/>
        <source>Use other dates of this place</source>
        <translation>Andere Aufnahmedaten dieses Ortes verwenden</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="194"/>
        <source>Fill the mask from up to four other rasters of the same place: each is matched to this raster&apos;s colours, the closest date in time is used, and the temporal model replaces it where it checks better on known pixels.</source>
        <translation>Die Maske aus bis zu vier anderen Rastern desselben Ortes füllen: jedes wird an die Farben dieses Rasters angepasst, das zeitlich nächste Datum wird verwendet, und das zeitliche Modell ersetzt es dort, wo es sich an bekannten Pixeln als besser erweist.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="200"/>
        <source>Other dates:</source>
        <translation>Andere Daten:</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="315"/>
        <source>Check one to four other dates of this place, or turn &apos;Use other dates&apos; off.</source>
        <translation>Ein bis vier andere Daten dieses Ortes auswählen oder „Andere Aufnahmedaten verwenden“ ausschalten.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="27"/>
        <source>Regenerates the masked pixels of a raster and keeps the others. The mask is a polygon layer, or a mask raster with class values (Sentinel-2 SCL clouds and shadows: 3,8,9,10), bits (Landsat QA_PIXEL: 1,2,3,4) or any non-zero pixel; it can be grown by a distance in metres. With other dates of the same place, the masked pixels come from the closest clear date, matched to this raster&apos;s colours, or from the temporal model where it checks better on known pixels.</source>
        <translation>Erzeugt die maskierten Pixel eines Rasters neu und behält die anderen. Die Maske ist ein Polygonlayer oder ein Maskenraster mit Klassenwerten (Sentinel-2-SCL-Wolken und -Schatten: 3,8,9,10), Bits (Landsat QA_PIXEL: 1,2,3,4) oder jedem Pixel ungleich null; sie kann um eine Strecke in Metern vergrößert werden. Mit anderen Aufnahmedaten desselben Ortes kommen die maskierten Pixel vom zeitlich nächsten klaren Datum, an die Farben dieses Rasters angepasst, oder vom zeitlichen Modell, wo es sich an bekannten Pixeln als besser erweist.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="47"/>
        <source>Other dates of this place to fill from (optional, up to 4)</source>
        <translation>Andere Aufnahmedaten dieses Ortes zum Füllen (optional, höchstens 4)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="266"/>
        <source>Optional, not installed (pip install …):</source>
        <translation>Optional, nicht installiert (pip install …):</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="359"/>
        <source>Computing the cloud mask preview…</source>
        <translation>Vorschau der Wolkenmaske wird berechnet…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="381"/>
        <source>DiffusionSat: cloud mask preview</source>
        <translation>DiffusionSat: Vorschau der Wolkenmaske</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="33"/>
        <source>Have a cloudy image of that date? Inpaint it with &apos;Use other dates of this place&apos;: its clear pixels set the colours, which no forecast can know.</source>
        <translation>Sie haben ein bewölktes Bild dieses Datums? Füllen Sie es unter „Auffüllen“ mit „Andere Aufnahmedaten dieses Ortes verwenden“ auf: Seine klaren Pixel bestimmen die Farben, die keine Vorhersage kennen kann.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="44"/>
        <source>Model {} dB, other dates {} dB, this date alone {} dB on nearby known pixels; other dates used for {} %, this date&apos;s own fill for {} % of masked pixels.</source>
        <translation>Modell {} dB, andere Aufnahmedaten {} dB, dieses Datum allein {} dB auf bekannten Pixeln in der Nähe; andere Aufnahmedaten für {} %, die eigene Füllung dieses Datums für {} % der maskierten Pixel verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="49"/>
        <source>Around the holes: other dates {} dB, this date alone {} dB.</source>
        <translation>Rund um die Lücken: andere Aufnahmedaten {} dB, dieses Datum allein {} dB.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="128"/>
        <source>About this model: {}</source>
        <translation>Zu diesem Modell: {}</translation>
    </message>
</context>
</TS>
