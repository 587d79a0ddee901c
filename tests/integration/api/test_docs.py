"""/docs works without the internet: its Swagger UI is served by closeloop itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from closeloop.api.app import create_app
from closeloop.runtime import Runtime


# the database plays no part here
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_api_docs_need_no_cdn(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert assets, "the page loads Swagger UI's script and styles"
        for asset in assets:
            assert asset.startswith("/"), f"{asset} is not served by closeloop"
            assert client.get(asset).status_code == 200, asset
        spec = client.get("/openapi.json").json()
        assert spec["info"]["title"] == "closeloop"
        assert "/api/v1/events/batch" in spec["paths"]
