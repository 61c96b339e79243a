"""moto's iot-data responses, watched: a shadow update or deletion re-evaluates the thing
against the dynamic thing groups (whose queries may read shadow fields), and the jobs service
hears of the membership that changed (continuous jobs)."""

from __future__ import annotations

from typing import Any

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.registry_watch import after_thing_change


class ShadowWatchResponse(moto_compat.iotdata_response_class()):  # type: ignore[misc]
    def update_thing_shadow(self) -> Any:
        result = super().update_thing_shadow()
        after_thing_change(self.current_account, self.region, self._get_param("thingName"))
        return result

    def delete_thing_shadow(self) -> Any:
        result = super().delete_thing_shadow()
        after_thing_change(self.current_account, self.region, self._get_param("thingName"))
        return result


def shadow_plane_dispatch(request: Any, full_url: str, headers: Any) -> Any:
    return ShadowWatchResponse.dispatch(request, full_url, headers)
