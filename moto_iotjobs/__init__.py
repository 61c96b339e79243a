"""moto_iotjobs: a moto plugin that mocks AWS IoT Jobs (control plane and device plane)."""

__version__ = "0.1.0"
