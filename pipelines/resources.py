"""Dagster resources: the customer-mdm config, loaded from `mdm.yaml`."""

from __future__ import annotations

import dagster as dg

from mdm.config import MdmConfig, load_config


class MdmConfigResource(dg.ConfigurableResource):
    """Where the pipeline's config file is. Empty = $MDM_CONFIG, ./mdm.yaml, else the bundled demo."""

    config_path: str = ""

    def load(self) -> MdmConfig:
        return load_config(self.config_path or None)
