"""The one settings tree: core's settings and every room's section, read from the environment and
read again as soon as one of their variables changes (no reset needed), built once otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from printgate.connectors.shopify.config import ShopifySettings, get_shopify_settings
from printgate.connectors.woocommerce.config import WooCommerceSettings, get_woocommerce_settings
from printgate.core import net
from printgate.core.config import Settings, env_names, get_settings
from printgate.webhooks.settings import WebhookSettings, get_webhook_settings


def test_the_tree_is_built_once_while_the_environment_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_SYNC_WAIT_S", "3.5")
    first = get_settings()
    assert first.sync_wait_s == 3.5
    assert get_settings() is first
    monkeypatch.setenv("PRINTGATE_SYNC_WAIT_S", "4")
    assert get_settings() is not first and get_settings().sync_wait_s == 4.0


def test_redis_url_set_after_start_up_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """``printgate serve`` sets REDIS_URL for its embedded Redis after the tree was first read."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PRINTGATE_REDIS_URL", raising=False)
    assert get_settings().redis_url is None
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/0")
    assert get_settings().redis_url == "redis://127.0.0.1:6399/0"


@pytest.mark.parametrize(("section", "getter", "variable", "value", "field", "expected"), [
    (WebhookSettings, get_webhook_settings, "PRINTGATE_WEBHOOK_TIMEOUT_S", "2.5", "timeout_s", 2.5),
    (WebhookSettings, get_webhook_settings, "PRINTGATE_WEBHOOK_RETRY_SCHEDULE", "0,5", "retry_schedule", (0.0, 5.0)),
    (WooCommerceSettings, get_woocommerce_settings, "PRINTGATE_WOOCOMMERCE_PAGE_SIZE", "7", "page_size", 7),
    (ShopifySettings, get_shopify_settings, "PRINTGATE_SHOPIFY_API_KEY", "key-1", "api_key", "key-1"),
])
def test_each_room_reads_its_section_from_the_tree(monkeypatch: pytest.MonkeyPatch, section: type, getter: object,
                                                    variable: str, value: str, field: str, expected: object) -> None:
    monkeypatch.setenv(variable, value)
    from_tree = get_settings().section(section)
    assert getattr(from_tree, field) == expected
    assert getter() is from_tree  # type: ignore[operator]
    monkeypatch.delenv(variable)
    assert getattr(get_settings().section(section), field) != expected


def test_the_tools_and_switches_that_were_raw_environment_reads(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: object) -> None:
    from printgate.core.fixes._exec import ghostscript
    from printgate.core.processing import models

    monkeypatch.setenv("PRINTGATE_GHOSTSCRIPT", "/opt/gs/bin/gs")
    monkeypatch.setenv("PRINTGATE_GHOSTSCRIPT_TIMEOUT_S", "0.5")
    monkeypatch.setenv("PRINTGATE_MODELS_DIR", str(tmp_path))
    assert ghostscript._binary() == "/opt/gs/bin/gs" and ghostscript._timeout() == 0.5
    assert str(models.models_dir()) == str(tmp_path)
    monkeypatch.delenv("PRINTGATE_GHOSTSCRIPT_TIMEOUT_S")
    assert ghostscript._timeout() == ghostscript.DEFAULT_TIMEOUT_S
    monkeypatch.setenv("PRINTGATE_ALLOW_PRIVATE_URLS", "0")
    assert not net.private_allowed()
    monkeypatch.setenv("PRINTGATE_ALLOW_PRIVATE_URLS", "1")
    assert net.private_allowed()


def test_env_names_follow_prefixes_and_aliases() -> None:
    names = env_names(Settings)
    assert {"DATABASE_URL", "PRINTGATE_DATABASE_URL", "REDIS_URL", "PRINTGATE_DATA_DIR",
            "PRINTGATE_ENCRYPTION_KEY_FILE"} <= set(names)
    assert "PRINTGATE_WEBHOOK_TIMEOUT_S" in env_names(WebhookSettings)
    assert "PRINTGATE_WOOCOMMERCE_ALLOW_HTTP" in env_names(WooCommerceSettings)


def test_processes_starting_together_share_one_generated_signing_secret(tmp_path: Path) -> None:
    """Two API processes creating the secret at once: a shared temporary name made one fail (a 500 in
    the widget's first call on a fresh instance). Every process gets the same secret, none fails."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from printgate.core.config import _data_dir_secret; "
            "print(_data_dir_secret(Path(sys.argv[1])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "data")], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert len({out.strip() for out, _ in outs}) == 1
    assert sorted(x.name for x in (tmp_path / "data").iterdir()) == ["signing.key"]
