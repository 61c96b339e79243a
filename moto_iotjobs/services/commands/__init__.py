"""AWS IoT Device Management commands: one device at a time, on both planes and MQTT."""
