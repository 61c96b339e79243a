"""One subpackage per AWS service family the plugin serves."""
