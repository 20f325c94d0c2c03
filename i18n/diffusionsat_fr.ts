<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Generate</source>
        <translation>Générer</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Draw an extent and generate an image for it.</source>
        <translation>Dessinez une emprise et générez une image pour celle-ci.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Super-resolve</source>
        <translation>Super-résolution</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Sentinel-2 bands to high-resolution RGB, aligned to the input grid.</source>
        <translation>Des bandes Sentinel-2 vers un RVB haute résolution, aligné sur la grille d’entrée.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Inpaint</source>
        <translation>Reconstruire</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Fill clouds or any masked area of a raster layer.</source>
        <translation>Comblez les nuages ou toute zone masquée d’une couche raster.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Multi-date predict</source>
        <translation>Prédiction multidate</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="12"/>
        <source>Predict an image at another date from dated layers.</source>
        <translation>Prédisez une image à une autre date à partir de couches datées.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="20"/>
        <source>DiffusionSat</source>
        <translation>DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="29"/>
        <source>Missing Python packages: {}. The tasks are disabled until they are installed.</source>
        <translation>Paquets Python manquants : {}. Les traitements sont désactivés jusqu’à leur installation.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="46"/>
        <source>Generate, super-resolve, inpaint or predict satellite imagery with DiffusionSat</source>
        <translation>Générer, super-résoudre, reconstruire ou prédire des images satellite avec DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="90"/>
        <source>DiffusionSat needs Python packages that this QGIS cannot import: {}</source>
        <translation>DiffusionSat a besoin de paquets Python que ce QGIS ne peut pas importer : {}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="93"/>
        <source>Details…</source>
        <translation>Détails…</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="99"/>
        <source>DiffusionSat: missing Python packages</source>
        <translation>DiffusionSat : paquets Python manquants</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="99"/>
        <source>These packages are missing:</source>
        <translation>Ces paquets sont manquants :</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="23"/>
        <source>DiffusionSat generative satellite imagery</source>
        <translation>DiffusionSat, imagerie satellite générative</translation>
    </message>
</context>
</TS>
