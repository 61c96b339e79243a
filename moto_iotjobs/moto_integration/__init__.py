"""How the plugin plugs into moto: every moto internal it relies on (compat), route registration, and the IoT registry changes it observes."""
