"""The MQTT broker adapter (paho-mqtt 2): meter readings in, device commands out."""
