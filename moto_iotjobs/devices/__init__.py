"""Devices as they connect to AWS IoT: mutual TLS with registry certificates, IoT policies.

- ``ca``: the mock's own certificate authority and the broker's server certificate;
- ``packets``: just enough MQTT 3.1.1 / 5 framing to read and answer what authorisation needs;
- ``policy``: IoT policy evaluation (actions, resources, policy variables, Allow/Deny);
- ``identity``: a presented certificate -> the registry certificate, its things and policies;
- ``gateway``: the TLS listeners in front of the plain broker; ``trust``: their TLS trust;
- ``relay``: one connection, authorised packet by packet; Jobs replies to the requester only.
"""
