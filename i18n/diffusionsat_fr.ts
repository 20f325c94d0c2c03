<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="113"/>
        <source>Generate</source>
        <translation>Générer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="33"/>
        <source>Draw an extent and generate an image for it.</source>
        <translation>Dessinez une emprise et générez une image pour celle-ci.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="55"/>
        <source>Super-resolve</source>
        <translation>Super-résolution</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="24"/>
        <source>Sentinel-2 bands to high-resolution RGB, aligned to the input grid.</source>
        <translation>Des bandes Sentinel-2 vers un RVB haute résolution, aligné sur la grille d’entrée.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="249"/>
        <source>Inpaint</source>
        <translation>Reconstruire</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="67"/>
        <source>Fill clouds or any masked area of a raster layer.</source>
        <translation>Comblez les nuages ou toute zone masquée d’une couche raster.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="96"/>
        <source>Multi-date predict</source>
        <translation>Prédiction multidate</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="29"/>
        <source>Predict an image at another date from dated layers.</source>
        <translation>Prédisez une image à une autre date à partir de couches datées.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="20"/>
        <source>DiffusionSat</source>
        <translation>DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="47"/>
        <source>Missing Python packages: {}. The tasks are disabled until they are installed.</source>
        <translation>Paquets Python manquants : {}. Les traitements sont désactivés jusqu’à leur installation.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="62"/>
        <source>Generate, super-resolve, inpaint or predict satellite imagery with DiffusionSat</source>
        <translation>Générer, super-résoudre, reconstruire ou prédire des images satellite avec DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="108"/>
        <source>DiffusionSat needs Python packages that this QGIS cannot import: {}</source>
        <translation>DiffusionSat a besoin de paquets Python que ce QGIS ne peut pas importer : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="463"/>
        <source>Details…</source>
        <translation>Détails…</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="260"/>
        <source>These packages are missing:</source>
        <translation>Ces paquets sont manquants :</translation>
    </message>
    <message>
        <location filename="../plugin/processing/provider.py" line="23"/>
        <source>DiffusionSat generative satellite imagery</source>
        <translation>DiffusionSat, imagerie satellite générative</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="137"/>
        <source>missing</source>
        <translation>absent</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="155"/>
        <source>torch cannot be imported: {}</source>
        <translation>torch ne peut pas être importé : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="159"/>
        <source>CUDA device {}: {}</source>
        <translation>Périphérique CUDA {} : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="161"/>
        <source>CUDA: not available, the CPU is used</source>
        <translation>CUDA : indisponible, le processeur est utilisé</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="164"/>
        <source>Apple MPS: available</source>
        <translation>Apple MPS : disponible</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="176"/>
        <source>Python interpreter for pip: {}</source>
        <translation>Interpréteur Python pour pip : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="176"/>
        <source>not found</source>
        <translation>introuvable</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="178"/>
        <source>Packages folder: {} ({})</source>
        <translation>Dossier des paquets : {} ({})</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="178"/>
        <source>on sys.path</source>
        <translation>dans sys.path</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="178"/>
        <source>not used</source>
        <translation>non utilisé</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="190"/>
        <source>Device: not checked (press Check device)</source>
        <translation>Périphérique : non vérifié (cliquez sur Vérifier le périphérique)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="193"/>
        <source>Device setting: {}, precision {}</source>
        <translation>Périphérique choisi : {}, précision {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="196"/>
        <source>Model for {}: {}</source>
        <translation>Modèle pour {} : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="197"/>
        <source>Output folder: {}</source>
        <translation>Dossier de sortie : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="205"/>
        <source>DiffusionSat: dependencies and diagnostics</source>
        <translation>DiffusionSat : dépendances et diagnostic</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="344"/>
        <source>Install the missing packages</source>
        <translation>Installer les paquets manquants</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="217"/>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="225"/>
        <source>Packages are installed into {} with {}.</source>
        <translation>Les paquets sont installés dans {} avec {}.</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="225"/>
        <source>(no Python interpreter found)</source>
        <translation>(aucun interpréteur Python trouvé)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="242"/>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="245"/>
        <source>Check device</source>
        <translation>Vérifier le périphérique</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="262"/>
        <source>All the packages DiffusionSat needs are installed.</source>
        <translation>Tous les paquets nécessaires à DiffusionSat sont installés.</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="279"/>
        <source>No Python interpreter was found next to {}.</source>
        <translation>Aucun interpréteur Python n’a été trouvé à côté de {}.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="51"/>
        <source>Install…</source>
        <translation>Installer…</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="87"/>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="190"/>
        <source>Band {}</source>
        <translation>Bande {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="240"/>
        <source>Run</source>
        <translation>Lancer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="243"/>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="353"/>
        <source>DiffusionSat: {}</source>
        <translation>DiffusionSat : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="340"/>
        <source>Running…</source>
        <translation>En cours…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="369"/>
        <source>Cancelling…</source>
        <translation>Annulation…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="441"/>
        <source>DiffusionSat {} {}</source>
        <translation>DiffusionSat {} {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="445"/>
        <source>{} uncertainty</source>
        <translation>{} incertitude</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="447"/>
        <source>Done in {} s (seed {}): {}</source>
        <translation>Terminé en {} s (graine {}) : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="461"/>
        <source>DiffusionSat {}</source>
        <translation>DiffusionSat {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="464"/>
        <source>DiffusionSat error</source>
        <translation>Erreur DiffusionSat</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="117"/>
        <source>Cancelled: nothing was written.</source>
        <translation>Annulé : rien n’a été écrit.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="487"/>
        <source>The output {} could not be opened as a layer.</source>
        <translation>La sortie {} n’a pas pu être ouverte comme couche.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="38"/>
        <source>Draw extent</source>
        <translation>Dessiner l’emprise</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="41"/>
        <source>Press, drag and release on the map to draw the extent to generate.</source>
        <translation>Cliquez, faites glisser puis relâchez sur la carte pour dessiner l’emprise à générer.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="147"/>
        <source>Clear</source>
        <translation>Effacer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="187"/>
        <source>No extent drawn yet.</source>
        <translation>Aucune emprise dessinée.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="56"/>
        <source>Size (pixels)</source>
        <translation>Taille (pixels)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="58"/>
        <source>Keep the output width in pixels when the extent changes; the resolution follows.</source>
        <translation>Conserver la largeur de sortie en pixels quand l’emprise change ; la résolution suit.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="60"/>
        <source>Resolution (m/pixel)</source>
        <translation>Résolution (m/pixel)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="62"/>
        <source>Keep the resolution when the extent changes; the size in pixels follows.</source>
        <translation>Conserver la résolution quand l’emprise change ; la taille en pixels suit.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="72"/>
        <source> px wide</source>
        <translation> px de large</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="75"/>
        <source>metres per pixel</source>
        <translation>mètres par pixel</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="81"/>
        <source>Output:</source>
        <translation>Sortie :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="83"/>
        <source>YYYY-MM-DD</source>
        <translation>AAAA-MM-JJ</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="94"/>
        <source>e.g. a satellite image of farmland</source>
        <translation>p. ex. une image satellite de terres agricoles</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="95"/>
        <source>Centre longitude (°):</source>
        <translation>Longitude du centre (°) :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="96"/>
        <source>Centre latitude (°):</source>
        <translation>Latitude du centre (°) :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="97"/>
        <source>Date:</source>
        <translation>Date :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="98"/>
        <source>Cloud cover (%):</source>
        <translation>Couverture nuageuse (%) :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="88"/>
        <source>Prompt:</source>
        <translation>Invite :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="180"/>
        <source>Extent: {} ({})</source>
        <translation>Emprise : {} ({})</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="224"/>
        <source>draw an extent</source>
        <translation>dessinez une emprise</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="233"/>
        <source>{} × {} px, {} × {} km</source>
        <translation>{} × {} px, {} × {} km</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="262"/>
        <source>Longitude must be a number between -180 and 180 degrees.</source>
        <translation>La longitude doit être un nombre entre -180 et 180 degrés.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="265"/>
        <source>Latitude must be a number between -90 and 90 degrees.</source>
        <translation>La latitude doit être un nombre entre -90 et 90 degrés.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="268"/>
        <source>The resolution must be a number of metres per pixel above 0.</source>
        <translation>La résolution doit être un nombre de mètres par pixel supérieur à 0.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="268"/>
        <source>Ground sample distance</source>
        <translation>Distance d’échantillonnage au sol</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="270"/>
        <source>The date must be a real date written YYYY-MM-DD (or empty when unknown).</source>
        <translation>La date doit être une date réelle écrite AAAA-MM-JJ (ou vide si inconnue).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="270"/>
        <source>Acquisition date; empty when unknown</source>
        <translation>Date d’acquisition ; vide si inconnue</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="273"/>
        <source>Cloud cover must be a percentage between 0 and 100.</source>
        <translation>La couverture nuageuse doit être un pourcentage entre 0 et 100.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="273"/>
        <source>Cloud cover of the image to generate</source>
        <translation>Couverture nuageuse de l’image à générer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="276"/>
        <source>Draw an extent on the map first.</source>
        <translation>Dessinez d’abord une emprise sur la carte.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="27"/>
        <source>Sentinel-2 SCL clouds/shadows: 3,8,9,10</source>
        <translation>Sentinel-2 SCL nuages/ombres : 3,8,9,10</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="27"/>
        <source>Landsat QA_PIXEL: 1,2,3,4</source>
        <translation>Landsat QA_PIXEL : 1,2,3,4</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="27"/>
        <source>Custom</source>
        <translation>Personnalisé</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="76"/>
        <source>Raster layer:</source>
        <translation>Couche raster :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="78"/>
        <source>RGB bands:</source>
        <translation>Bandes RVB :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="82"/>
        <source>Mask</source>
        <translation>Masque</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="86"/>
        <source>Polygon layer</source>
        <translation>Couche de polygones</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="87"/>
        <source>Raster values</source>
        <translation>Valeurs d’un raster</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="88"/>
        <source>Shape drawn on the map</source>
        <translation>Forme dessinée sur la carte</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="105"/>
        <source>Polygons:</source>
        <translation>Polygones :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="118"/>
        <source>Mask layer:</source>
        <translation>Couche de masque :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="123"/>
        <source>Preset:</source>
        <translation>Préréglage :</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Classes (pixel values)</source>
        <translation>Classes (valeurs de pixel)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Bits set</source>
        <translation>Bits activés</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Any non-zero pixel</source>
        <translation>Tout pixel non nul</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="129"/>
        <source>Values are:</source>
        <translation>Les valeurs sont :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="132"/>
        <source>comma-separated integers</source>
        <translation>entiers séparés par des virgules</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="133"/>
        <source>Values:</source>
        <translation>Valeurs :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="142"/>
        <source>Draw shape</source>
        <translation>Dessiner une forme</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="145"/>
        <source>Click the corners on the map; right-click to finish.</source>
        <translation>Cliquez les sommets sur la carte ; clic droit pour terminer.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="306"/>
        <source>No shape drawn yet.</source>
        <translation>Aucune forme dessinée.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="183"/>
        <source> m</source>
        <translation> m</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="184"/>
        <source>Grow the mask by this distance, to cover cloud edges and thin haze.</source>
        <translation>Agrandir le masque de cette distance, pour couvrir les bords des nuages et la brume légère.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="185"/>
        <source>Grow mask by:</source>
        <translation>Agrandir le masque de :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="87"/>
        <source>optional</source>
        <translation>facultatif</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="297"/>
        <source>A shape with {} corners ({}).</source>
        <translation>Une forme à {} sommets ({}).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="86"/>
        <source>Choose a raster layer.</source>
        <translation>Choisissez une couche raster.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="404"/>
        <source>Choose a polygon layer for the mask.</source>
        <translation>Choisissez une couche de polygones pour le masque.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="324"/>
        <source>Choose a mask raster layer.</source>
        <translation>Choisissez une couche raster de masque.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="74"/>
        <source>The mask values must be comma-separated whole numbers, e.g. 3,8,9,10.</source>
        <translation>Les valeurs du masque doivent être des nombres entiers séparés par des virgules, p. ex. 3,8,9,10.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="424"/>
        <source>Draw a shape on the map for the mask.</source>
        <translation>Dessinez une forme sur la carte pour le masque.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="410"/>
        <source>The polygon layer &apos;{}&apos; has no polygons.</source>
        <translation>La couche de polygones « {} » ne contient aucun polygone.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="41"/>
        <source>The layer '{}' is not a file raster: save it as a GeoTIFF first (Export, Save As…).</source>
        <translation>La couche « {} » n’est pas un raster fichier : enregistrez-la d’abord en GeoTIFF (Exporter, Enregistrer sous…).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="43"/>
        <source>Add</source>
        <translation>Ajouter</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="45"/>
        <source>Add the layer with the date read from it (file name or GeoTIFF tags).</source>
        <translation>Ajouter la couche avec la date lue dans celle-ci (nom de fichier ou balises GeoTIFF).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="53"/>
        <source>Layer</source>
        <translation>Couche</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="53"/>
        <source>Date (YYYY-MM-DD)</source>
        <translation>Date (AAAA-MM-JJ)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="64"/>
        <source>Up</source>
        <translation>Monter</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="67"/>
        <source>Down</source>
        <translation>Descendre</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="70"/>
        <source>Remove</source>
        <translation>Retirer</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="84"/>
        <source>Predict the date:</source>
        <translation>Date à prédire :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="103"/>
        <source>At most {} dated layers.</source>
        <translation>Au plus {} couches datées.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="156"/>
        <source>Add 1 to 4 dated layers of the same place.</source>
        <translation>Ajoutez 1 à 4 couches datées du même lieu.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="162"/>
        <source>The layer of row {} was removed from the project.</source>
        <translation>La couche de la ligne {} a été retirée du projet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="164"/>
        <source>Row {}: the date must be a real date written YYYY-MM-DD.</source>
        <translation>Ligne {} : la date doit être une date réelle écrite AAAA-MM-JJ.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="53"/>
        <source>The target date must be a real date written YYYY-MM-DD.</source>
        <translation>La date cible doit être une date réelle écrite AAAA-MM-JJ.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="171"/>
        <source>The date to predict</source>
        <translation>La date à prédire</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="182"/>
        <source>A layer of the list was removed from the project.</source>
        <translation>Une couche de la liste a été retirée du projet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="25"/>
        <source>The model cannot be checked because the backend cannot be loaded: {}</source>
        <translation>Le modèle ne peut pas être vérifié car le moteur ne peut pas être chargé : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="46"/>
        <source>Models</source>
        <translation>Modèles</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Generate:</source>
        <translation>Générer :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Super-resolve:</source>
        <translation>Super-résolution :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Inpaint:</source>
        <translation>Reconstruire :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="50"/>
        <source>Multi-date predict:</source>
        <translation>Prédiction multidate :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="55"/>
        <source>Model folder</source>
        <translation>Dossier du modèle</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="56"/>
        <source>bundled {}</source>
        <translation>{} fourni</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="65"/>
        <source>Choose a model folder to check it; empty uses the bundled model.</source>
        <translation>Choisissez un dossier de modèle pour le vérifier ; vide utilise le modèle fourni.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="80"/>
        <source>Sampling</source>
        <translation>Échantillonnage</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>Automatic</source>
        <translation>Automatique</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>CPU</source>
        <translation>Processeur (CPU)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="85"/>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (GPU NVIDIA)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="87"/>
        <source>Device:</source>
        <translation>Périphérique :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="90"/>
        <source>float32 (exact)</source>
        <translation>float32 (exact)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="90"/>
        <source>bfloat16 (faster)</source>
        <translation>bfloat16 (plus rapide)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="90"/>
        <source>float16 (CUDA only)</source>
        <translation>float16 (CUDA uniquement)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="93"/>
        <source>Precision:</source>
        <translation>Précision :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="97"/>
        <source>Steps:</source>
        <translation>Étapes :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="100"/>
        <source>DDIM (as in the paper)</source>
        <translation>DDIM (comme dans l’article)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="101"/>
        <source>DPM-Solver++ (fewer steps)</source>
        <translation>DPM-Solver++ (moins d’étapes)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="102"/>
        <source>Scheduler:</source>
        <translation>Planificateur :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="114"/>
        <source>Guidance:</source>
        <translation>Guidage :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="118"/>
        <source>Random</source>
        <translation>Aléatoire</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="119"/>
        <source>Fixed</source>
        <translation>Fixe</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="125"/>
        <source>Seed:</source>
        <translation>Graine :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="128"/>
        <source>Reuse</source>
        <translation>Réutiliser</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="130"/>
        <source>Fix the seed to the one of the latest run, to reproduce it.</source>
        <translation>Fixer la graine à celle de la dernière exécution, pour la reproduire.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="135"/>
        <source>Latest seed:</source>
        <translation>Dernière graine :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="145"/>
        <source>Tiles and output</source>
        <translation>Tuiles et sortie</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="152"/>
        <source>model&apos;s native size</source>
        <translation>taille native du modèle</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="159"/>
        <source> px</source>
        <translation> px</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="154"/>
        <source>Tile size:</source>
        <translation>Taille des tuiles :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="160"/>
        <source>Tile overlap:</source>
        <translation>Recouvrement des tuiles :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="179"/>
        <source>Output folder</source>
        <translation>Dossier de sortie</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="181"/>
        <source>Output folder:</source>
        <translation>Dossier de sortie :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="187"/>
        <source>Dependencies and diagnostics…</source>
        <translation>Dépendances et diagnostic…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="258"/>
        <source>none yet</source>
        <translation>aucune pour l’instant</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="304"/>
        <source>{}: the bundled model {}.</source>
        <translation>{} : le modèle fourni {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="307"/>
        <source>Model folder usable.</source>
        <translation>Dossier de modèle utilisable.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="307"/>
        <source>This folder cannot be used as a model:</source>
        <translation>Ce dossier ne peut pas servir de modèle :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="33"/>
        <source>Sentinel-2 layer:</source>
        <translation>Couche Sentinel-2 :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="36"/>
        <source>Bands (model order)</source>
        <translation>Bandes (ordre du modèle)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="61"/>
        <source>Choose a Sentinel-2 layer with the bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12.</source>
        <translation>Choisissez une couche Sentinel-2 avec les bandes B4 B3 B2 B5 B6 B7 B8 B8A B11 B12.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="68"/>
        <source>Not recognised from the band names: {}. Choose them by hand.</source>
        <translation>Non reconnues d’après les noms de bandes : {}. Choisissez-les à la main.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="71"/>
        <source>All ten bands recognised from the band names.</source>
        <translation>Les dix bandes ont été reconnues d’après leurs noms.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="94"/>
        <source>Choose the band {}.</source>
        <translation>Choisissez la bande {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="108"/>
        <source>Choose all ten bands.</source>
        <translation>Choisissez les dix bandes.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="57"/>
        <source>Output GeoTIFF</source>
        <translation>GeoTIFF de sortie</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="58"/>
        <source>Seed used</source>
        <translation>Graine utilisée</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="102"/>
        <source>The DiffusionSat backend cannot be loaded: {}</source>
        <translation>Le moteur DiffusionSat ne peut pas être chargé : {}</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="122"/>
        <source>Seed {}, {} s: {}</source>
        <translation>Graine {}, {} s : {}</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="144"/>
        <source>Model folder (empty: the bundled model)</source>
        <translation>Dossier du modèle (vide : le modèle fourni)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="147"/>
        <source>Sampling steps</source>
        <translation>Étapes d’échantillonnage</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="152"/>
        <source>Scheduler</source>
        <translation>Planificateur</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="154"/>
        <source>Seed (-1: random)</source>
        <translation>Graine (-1 : aléatoire)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>Device</source>
        <translation>Périphérique</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="158"/>
        <source>CUDA</source>
        <translation>CUDA</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="162"/>
        <source>Tile size in pixels (0: the model&apos;s own)</source>
        <translation>Taille des tuiles en pixels (0 : celle du modèle)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="164"/>
        <source>Tile overlap in pixels</source>
        <translation>Recouvrement des tuiles en pixels</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="19"/>
        <source>Generate image for extent</source>
        <translation>Générer une image pour une emprise</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="22"/>
        <source>Generates a georeferenced image covering the extent at the given ground sample distance (metres per pixel). The model is conditioned on the extent&apos;s centre longitude and latitude, the GSD, the date, the cloud cover and the prompt. The CRS is the one chosen, else the extent&apos;s own.</source>
        <translation>Génère une image géoréférencée couvrant l’emprise à la distance d’échantillonnage au sol donnée (mètres par pixel). Le modèle est conditionné par la longitude et la latitude du centre de l’emprise, la GSD, la date, la couverture nuageuse et l’invite. Le SCR est celui choisi, sinon celui de l’emprise.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="28"/>
        <source>Extent</source>
        <translation>Emprise</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="29"/>
        <source>CRS of the output (empty: the extent&apos;s CRS)</source>
        <translation>SCR de la sortie (vide : le SCR de l’emprise)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="31"/>
        <source>Ground sample distance (metres per pixel)</source>
        <translation>Distance d’échantillonnage au sol (mètres par pixel)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="31"/>
        <source>Prompt</source>
        <translation>Invite</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="34"/>
        <source>Date (YYYY-MM-DD, empty: unknown)</source>
        <translation>Date (AAAA-MM-JJ, vide : inconnue)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="36"/>
        <source>Cloud cover (%)</source>
        <translation>Couverture nuageuse (%)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="46"/>
        <source>The extent has no CRS: choose one in the CRS parameter.</source>
        <translation>L’emprise n’a pas de SCR : choisissez-en un dans le paramètre SCR.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_generate.py" line="49"/>
        <source>The extent is empty: give one with a non-zero width and height.</source>
        <translation>L’emprise est vide : donnez-en une de largeur et de hauteur non nulles.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="46"/>
        <source>The date must be a real date written YYYY-MM-DD, got {}.</source>
        <translation>La date doit être une date réelle écrite AAAA-MM-JJ, reçu {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="24"/>
        <source>Inpaint masked area</source>
        <translation>Reconstruire la zone masquée</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="34"/>
        <source>Raster to inpaint</source>
        <translation>Raster à reconstruire</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="35"/>
        <source>RGB bands (empty: the first three)</source>
        <translation>Bandes RVB (vide : les trois premières)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="37"/>
        <source>Mask polygons</source>
        <translation>Polygones du masque</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="39"/>
        <source>Mask raster</source>
        <translation>Raster de masque</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="40"/>
        <source>Mask raster values are</source>
        <translation>Les valeurs du raster de masque sont</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="43"/>
        <source>Mask values, e.g. 3,8,9,10</source>
        <translation>Valeurs du masque, p. ex. 3,8,9,10</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="45"/>
        <source>Grow the mask by (metres)</source>
        <translation>Agrandir le masque de (mètres)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="59"/>
        <source>Give exactly one mask: polygons or a mask raster.</source>
        <translation>Donnez exactement un masque : des polygones ou un raster de masque.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="79"/>
        <source>Choose three RGB bands, or none; got {}.</source>
        <translation>Choisissez trois bandes RVB, ou aucune ; reçu {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="18"/>
        <source>Predict image at another date</source>
        <translation>Prédire l’image à une autre date</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="21"/>
        <source>Predicts the image of a place at the target date from 1 to 4 dated rasters of that place on the same grid. The dates are given in the same order as the rasters, separated by commas (YYYY-MM-DD); an empty entry is read from the raster (product name or GeoTIFF tags).</source>
        <translation>Prédit l’image d’un lieu à la date cible à partir de 1 à 4 rasters datés de ce lieu sur la même grille. Les dates sont données dans le même ordre que les rasters, séparées par des virgules (AAAA-MM-JJ) ; une entrée vide est lue dans le raster (nom de produit ou balises GeoTIFF).</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="26"/>
        <source>Dated rasters (1 to 4)</source>
        <translation>Rasters datés (1 à 4)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="28"/>
        <source>Their dates, comma-separated YYYY-MM-DD (empty: read from the rasters)</source>
        <translation>Leurs dates, AAAA-MM-JJ séparées par des virgules (vide : lues dans les rasters)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="30"/>
        <source>Date to predict (YYYY-MM-DD)</source>
        <translation>Date à prédire (AAAA-MM-JJ)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="40"/>
        <source>{} dates for {} rasters.</source>
        <translation>{} dates pour {} rasters.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_predict.py" line="48"/>
        <source>No date for {}: give it in the dates parameter.</source>
        <translation>Aucune date pour {} : indiquez-la dans le paramètre des dates.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="18"/>
        <source>Super-resolve Sentinel-2</source>
        <translation>Super-résolution Sentinel-2</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="21"/>
        <source>Super-resolves a Sentinel-2 raster to high-resolution RGB on a pixel grid aligned to the input. The bands are B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 in this order: chosen here, or, when none are chosen, found by their band descriptions.</source>
        <translation>Convertit un raster Sentinel-2 en RVB haute résolution sur une grille de pixels alignée sur l’entrée. Les bandes sont B4 B3 B2 B5 B6 B7 B8 B8A B11 B12 dans cet ordre : choisies ici ou, à défaut, trouvées d’après leurs descriptions.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="26"/>
        <source>Sentinel-2 raster</source>
        <translation>Raster Sentinel-2</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="27"/>
        <source>Bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, in this order (empty: by band name)</source>
        <translation>Bandes B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, dans cet ordre (vide : d’après le nom des bandes)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_superres.py" line="37"/>
        <source>Choose the ten bands B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, or none; got {}.</source>
        <translation>Choisissez les dix bandes B4 B3 B2 B5 B6 B7 B8 B8A B11 B12, ou aucune ; reçu {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="139"/>
        <source>More than one: the output is the mean of the samples, and a second layer shows their spread (uncertainty).</source>
        <translation>Plus d’un : la sortie est la moyenne des échantillons, et une seconde couche montre leur dispersion (incertitude).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="141"/>
        <source>Samples:</source>
        <translation>Échantillons :</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="59"/>
        <source>Uncertainty (spread of the samples)</source>
        <translation>Incertitude (dispersion des échantillons)</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="156"/>
        <source>Samples (more than 1: mean and uncertainty)</source>
        <translation>Échantillons (plus d’un : moyenne et incertitude)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="163"/>
        <source>This position cannot be shown in the extent&apos;s CRS.</source>
        <translation>Cette position ne peut pas être représentée dans le SCR de l’emprise.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="262"/>
        <source>Centre longitude, WGS84 degrees; editing it moves the extent</source>
        <translation>Longitude du centre, en degrés WGS84 ; la modifier déplace l’emprise</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="265"/>
        <source>Centre latitude, WGS84 degrees; editing it moves the extent</source>
        <translation>Latitude du centre, en degrés WGS84 ; la modifier déplace l’emprise</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="108"/>
        <source>Model&apos;s recommendation</source>
        <translation>Recommandation du modèle</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="149"/>
        <source>Guidance scale (1 = off, 0 = the model&apos;s recommendation)</source>
        <translation>Échelle de guidage (1 = désactivé, 0 = recommandation du modèle)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="38"/>
        <source>Self-check off: the model fill is used everywhere, unchecked.</source>
        <translation>Auto-contrôle désactivé : le remplissage du modèle est utilisé partout, sans vérification.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="40"/>
        <source>No nearby known pixels to check the model on: classical fill used for {} % of masked pixels.</source>
        <translation>Aucun pixel connu à proximité pour vérifier le modèle : remplissage classique utilisé pour {} % des pixels masqués.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="52"/>
        <source>Model {} dB, classical {} dB on nearby known pixels; classical fill used for {} % of masked pixels.</source>
        <translation>Modèle {} dB, classique {} dB sur des pixels connus voisins ; remplissage classique utilisé pour {} % des pixels masqués.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="107"/>
        <source> and {} more</source>
        <translation> et {} autres</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="83"/>
        <source>The model folder {} does not exist (Settings).</source>
        <translation>Le dossier de modèle {} n'existe pas (Paramètres).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="89"/>
        <source>The model folder {} cannot be used (Settings): {}</source>
        <translation>Le dossier de modèle {} est inutilisable (Paramètres) : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="108"/>
        <source>{}. Start it?</source>
        <translation>{}. Lancer ?</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="329"/>
        <source>DiffusionSat: estimating {}</source>
        <translation>DiffusionSat : estimation de {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="329"/>
        <source>Estimating the time…</source>
        <translation>Estimation de la durée…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="342"/>
        <source>This will take {}</source>
        <translation>Durée prévue : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="346"/>
        <source>Not started. {}.</source>
        <translation>Non lancé. {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="348"/>
        <source>Running: {}…</source>
        <translation>En cours : {}…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/common.py" line="439"/>
        <source>DiffusionSat {} – {} – {}</source>
        <translation>DiffusionSat {} – {} – {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/generate_page.py" line="120"/>
        <source>That extent has no area, so it was not taken: press, drag to the opposite corner, release.</source>
        <translation>Cette emprise n'a pas de surface, elle n'a pas été prise : appuyez, faites glisser jusqu'au coin opposé, relâchez.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="164"/>
        <source>automatic</source>
        <translation>automatique</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="165"/>
        <source>CPU threads. Automatic: one for small models, all cores for large ones, waiting without spinning so that other programs keep their share.</source>
        <translation>Threads CPU. Automatique : un pour les petits modèles, tous les cœurs pour les grands, avec une attente passive pour que les autres programmes gardent leur part.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="167"/>
        <source>CPU threads:</source>
        <translation>Threads CPU :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="172"/>
        <source>never ask</source>
        <translation>ne jamais demander</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="173"/>
        <source> min</source>
        <translation> min</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="174"/>
        <source>Ask before starting a job estimated to take longer than this.</source>
        <translation>Demander avant de lancer une tâche dont la durée estimée dépasse cette valeur.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="175"/>
        <source>Ask before jobs longer than:</source>
        <translation>Demander au-delà de :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="65"/>
        <source>This layer has {} bands; super-resolution needs ten different Sentinel-2 bands (B4 B3 B2 B5 B6 B7 B8 B8A B11 B12).</source>
        <translation>Cette couche a {} bandes ; la super-résolution demande dix bandes Sentinel-2 différentes (B4 B3 B2 B5 B6 B7 B8 B8A B11 B12).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="96"/>
        <source>Band {} of the layer is chosen more than once.</source>
        <translation>La bande {} de la couche est choisie plusieurs fois.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="41"/>
        <source>Image synthesis</source>
        <translation>Synthèse d'images</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="41"/>
        <source>Image enhancement</source>
        <translation>Amélioration d'images</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="42"/>
        <source>Time series</source>
        <translation>Séries temporelles</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="114"/>
        <source>This will take {}.</source>
        <translation>Durée prévue : {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="160"/>
        <source>CPU threads (0: automatic)</source>
        <translation>Threads CPU (0 : automatique)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="126"/>
        <source>Self-check off: the model&apos;s output is used everywhere, unchecked.</source>
        <translation>Auto-contrôle désactivé : la sortie du modèle est utilisée partout, sans vérification.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="128"/>
        <source>The raster is too small to check the model one scale down: the model&apos;s output is used everywhere.</source>
        <translation>Le raster est trop petit pour vérifier le modèle une échelle plus bas : la sortie du modèle est utilisée partout.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/superres_page.py" line="132"/>
        <source>Model {} dB, bicubic {} dB, written {} dB on the input one scale down; bicubic alone for {} % of tiles, the model&apos;s detail at {} % on average.</source>
        <translation>Modèle {} dB, bicubique {} dB, écrit {} dB sur l’entrée une échelle plus bas ; bicubique seul pour {} % des tuiles, le détail du modèle pondéré à {} % en moyenne.</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="64"/>
        <source>Add Sentinel-2 product…</source>
        <translation>Ajouter un produit Sentinel-2…</translation>
    </message>
    <message>
        <location filename="../plugin/dock.py" line="66"/>
        <source>Open a downloaded .SAFE folder (its manifest.safe), its .zip or MTD_MSIL1C/2A.xml as a reflectance layer: offsets applied, bands named, date and cloud cover read.</source>
        <translation>Ouvre un dossier .SAFE téléchargé (son manifest.safe), son .zip ou MTD_MSIL1C/2A.xml comme couche de réflectance : décalages appliqués, bandes nommées, date et couverture nuageuse lues.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="89"/>
        <source>Clouds from the Sentinel-2 product</source>
        <translation>Nuages du produit Sentinel-2</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="165"/>
        <source>Scene classification (SCL) classes: 3 cloud shadow, 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus, 11 snow.</source>
        <translation>Classes de la classification de scène (SCL) : 3 ombre de nuage, 8 nuage probabilité moyenne, 9 nuage probabilité élevée, 10 cirrus fins, 11 neige.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="167"/>
        <source>SCL classes:</source>
        <translation>Classes SCL :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="169"/>
        <source>Preview mask</source>
        <translation>Aperçu du masque</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="421"/>
        <source>The layer is not a Sentinel-2 product: add it with 'Add Sentinel-2 product…'.</source>
        <translation>La couche n'est pas un produit Sentinel-2 : ajoutez-la avec « Ajouter un produit Sentinel-2… ».</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="336"/>
        <source>The SCL classes must be comma-separated whole numbers, e.g. 3,8,9,10.</source>
        <translation>Les classes SCL doivent être des nombres entiers séparés par des virgules, p. ex. 3,8,9,10.</translation>
    </message>
    <message>
        <location filename="../plugin/sentinel2_layers.py" line="55"/>
        <source>Add Sentinel-2 product</source>
        <translation>Ajouter un produit Sentinel-2</translation>
    </message>
    <message>
        <location filename="../plugin/sentinel2_layers.py" line="48"/>
        <source>Sentinel-2 products (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml manifest.safe)</source>
        <translation>Produits Sentinel-2 (*.zip MTD_MSIL1C.xml MTD_MSIL2A.xml manifest.safe)</translation>
    </message>
    <message>
        <location filename="../plugin/tasks.py" line="44"/>
        <source>Task cancelled</source>
        <translation>Tâche annulée</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="248"/>
        <source>Open log</source>
        <translation>Ouvrir le journal</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="270"/>
        <source>Log: {}</source>
        <translation>Journal : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="288"/>
        <source>Working out what to install…</source>
        <translation>Calcul de ce qu’il faut installer…</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="294"/>
        <source>Installing…</source>
        <translation>Installation…</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="321"/>
        <source>pip failed (exit code {}). Nothing was changed; the details are in the log.</source>
        <translation>pip a échoué (code de sortie {}). Rien n’a été modifié ; les détails sont dans le journal.</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="335"/>
        <source>To install ({} packages, {} MB to download): {}</source>
        <translation>À installer ({} paquets, {} Mo à télécharger) : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="337"/>
        <source>Install ({} MB)</source>
        <translation>Installer ({} Mo)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="354"/>
        <source>Installed, but torch, diffusers or transformers cannot be imported: {}</source>
        <translation>Installé, mais torch, diffusers ou transformers ne peuvent pas être importés : {}</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="360"/>
        <source>Installed and checked. Restart QGIS to use DiffusionSat ({} already loaded).</source>
        <translation>Installé et vérifié. Redémarrez QGIS pour utiliser DiffusionSat ({} déjà chargé).</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="363"/>
        <source>Installed and checked: DiffusionSat can be used now (reopen the dock).</source>
        <translation>Installé et vérifié : DiffusionSat peut être utilisé maintenant (rouvrez le panneau).</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="35"/>
        <source>Download the demo model ({} MB)</source>
        <translation>Télécharger le modèle de démonstration ({} Mo)</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="36"/>
        <source>Download the demo model</source>
        <translation>Télécharger le modèle de démonstration</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="51"/>
        <source>No model is installed yet. Download the small demo model, or choose a folder with a DiffusionSat model.</source>
        <translation>Aucun modèle n’est encore installé. Téléchargez le petit modèle de démonstration, ou choisissez un dossier contenant un modèle DiffusionSat.</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="59"/>
        <source>Use a model folder…</source>
        <translation>Utiliser un dossier de modèle…</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="89"/>
        <source>{} of {} MB</source>
        <translation>{} sur {} Mo</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="93"/>
        <source>DiffusionSat: download the demo model</source>
        <translation>DiffusionSat : téléchargement du modèle de démonstration</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="101"/>
        <source>Downloading…</source>
        <translation>Téléchargement…</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="116"/>
        <source>The demo model is installed.</source>
        <translation>Le modèle de démonstration est installé.</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="121"/>
        <source>The download failed: {}</source>
        <translation>Le téléchargement a échoué : {}</translation>
    </message>
    <message>
        <location filename="../plugin/model_offer.py" line="125"/>
        <source>Download cancelled; it resumes where it stopped next time.</source>
        <translation>Téléchargement annulé ; il reprendra là où il s’est arrêté la prochaine fois.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="68"/>
        <source>Install model from file…</source>
        <translation>Installer un modèle depuis un fichier…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="70"/>
        <source>For computers without internet: the demo model&apos;s zip (diffusionsat-mini-&lt;version&gt;.zip) from the project&apos;s releases.</source>
        <translation>Pour les ordinateurs sans internet : le zip du modèle de démonstration (diffusionsat-mini-&lt;version&gt;.zip) des publications du projet.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="75"/>
        <source>Model archive</source>
        <translation>Archive du modèle</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="75"/>
        <source>Zip archives (*.zip)</source>
        <translation>Archives zip (*.zip)</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="280"/>
        <source>Installed {} in {}.</source>
        <translation>{} installé dans {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="287"/>
        <source>The model was not installed: {}</source>
        <translation>Le modèle n’a pas été installé : {}</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="289"/>
        <source>DiffusionSat: install a model from a file</source>
        <translation>DiffusionSat : installation d’un modèle depuis un fichier</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="289"/>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <location filename="../plugin/pages/settings_page.py" line="294"/>
        <source>Installing {}…</source>
        <translation>Installation de {}…</translation>
    </message>
    <message>
        <location filename="../plugin/cluster_jobs.py" line="31"/>
        <source>Run on a Dask cluster is on, but the Python of QGIS has no dask[distributed] ({}). Install it (pip install &apos;dask[distributed]&apos;) or turn the setting off in Settings.</source>
        <translation>L'exécution sur un cluster Dask est activée, mais le Python de QGIS n'a pas dask[distributed] ({}). Installez-le (pip install 'dask[distributed]') ou désactivez l'option dans les Paramètres.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="18"/>
        <source>Run on a Dask cluster</source>
        <translation>Exécuter sur un cluster Dask</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="22"/>
        <source>Send the dock&apos;s and Processing&apos;s jobs to a Dask scheduler instead of running them in QGIS. Its workers need the DiffusionSat backend, the model folder and the input and output folders at the same paths (a shared file system).</source>
        <translation>Envoyer les tâches du panneau et de Processing à un ordonnanceur Dask au lieu de les exécuter dans QGIS. Ses workers ont besoin du backend DiffusionSat, du dossier du modèle et des dossiers d'entrée et de sortie aux mêmes chemins (un système de fichiers partagé).</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="29"/>
        <source>Scheduler address:</source>
        <translation>Adresse de l'ordonnanceur :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="57"/>
        <source>Off: jobs run in QGIS.</source>
        <translation>Désactivé : les tâches s'exécutent dans QGIS.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="59"/>
        <source>Type the scheduler&apos;s address; until then jobs run in QGIS.</source>
        <translation>Saisissez l'adresse de l'ordonnanceur ; d'ici là, les tâches s'exécutent dans QGIS.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/cluster_box.py" line="61"/>
        <source>Jobs run on {}.</source>
        <translation>Les tâches s'exécutent sur {}.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="112"/>
        <source>Running on the Dask cluster {}.</source>
        <translation>Exécution sur le cluster Dask {}.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="190"/>
        <source>Use other dates of this place</source>
        <translation>Utiliser d’autres dates de ce lieu</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="194"/>
        <source>Fill the mask from up to four other rasters of the same place: each is matched to this raster&apos;s colours, the closest date in time is used, and the temporal model replaces it where it checks better on known pixels.</source>
        <translation>Remplir le masque à partir de quatre autres rasters au plus du même lieu : chacun est ajusté aux couleurs de ce raster, la date la plus proche est utilisée, et le modèle temporel la remplace là où il se vérifie meilleur sur des pixels connus.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="200"/>
        <source>Other dates:</source>
        <translation>Autres dates :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="315"/>
        <source>Check one to four other dates of this place, or turn &apos;Use other dates&apos; off.</source>
        <translation>Cochez une à quatre autres dates de ce lieu, ou désactivez « Utiliser d’autres dates ».</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="27"/>
        <source>Regenerates the masked pixels of a raster and keeps the others. The mask is a polygon layer, or a mask raster with class values (Sentinel-2 SCL clouds and shadows: 3,8,9,10), bits (Landsat QA_PIXEL: 1,2,3,4) or any non-zero pixel; it can be grown by a distance in metres. With other dates of the same place, the masked pixels come from the closest clear date, matched to this raster&apos;s colours, or from the temporal model where it checks better on known pixels.</source>
        <translation>Régénère les pixels masqués d’un raster et conserve les autres. Le masque est une couche de polygones, ou un raster de masque avec des valeurs de classes (nuages et ombres SCL de Sentinel-2 : 3,8,9,10), des bits (QA_PIXEL de Landsat : 1,2,3,4) ou tout pixel non nul ; il peut être agrandi d’une distance en mètres. Avec d’autres dates du même lieu, les pixels masqués viennent de la date claire la plus proche, ajustée aux couleurs de ce raster, ou du modèle temporel là où il se vérifie meilleur sur des pixels connus.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_inpaint.py" line="47"/>
        <source>Other dates of this place to fill from (optional, up to 4)</source>
        <translation>Autres dates de ce lieu pour remplir (facultatif, 4 au plus)</translation>
    </message>
    <message>
        <location filename="../plugin/deps_dialog.py" line="266"/>
        <source>Optional, not installed (pip install …):</source>
        <translation>Facultatifs, non installés (pip install …) :</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="359"/>
        <source>Computing the cloud mask preview…</source>
        <translation>Calcul de l’aperçu du masque de nuages…</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="381"/>
        <source>DiffusionSat: cloud mask preview</source>
        <translation>DiffusionSat : aperçu du masque de nuages</translation>
    </message>
    <message>
        <location filename="../plugin/pages/predict_page.py" line="33"/>
        <source>Have a cloudy image of that date? Inpaint it with &apos;Use other dates of this place&apos;: its clear pixels set the colours, which no forecast can know.</source>
        <translation>Vous avez une image nuageuse de cette date ? Reconstruisez-la avec « Utiliser d’autres dates de ce lieu » : ses pixels dégagés fixent les couleurs, qu’aucune prévision ne peut connaître.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="44"/>
        <source>Model {} dB, other dates {} dB, this date alone {} dB on nearby known pixels; other dates used for {} %, this date&apos;s own fill for {} % of masked pixels.</source>
        <translation>Modèle {} dB, autres dates {} dB, cette date seule {} dB sur des pixels connus voisins ; autres dates utilisées pour {} %, le remplissage propre à cette date pour {} % des pixels masqués.</translation>
    </message>
    <message>
        <location filename="../plugin/pages/inpaint_page.py" line="49"/>
        <source>Around the holes: other dates {} dB, this date alone {} dB.</source>
        <translation>Autour des trous : autres dates {} dB, cette date seule {} dB.</translation>
    </message>
    <message>
        <location filename="../plugin/processing/alg_common.py" line="128"/>
        <source>About this model: {}</source>
        <translation>À propos de ce modèle : {}</translation>
    </message>
</context>
</TS>
