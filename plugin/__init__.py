"""Everything that imports qgis: the plugin class, dock, map tools, tasks, Processing provider."""
