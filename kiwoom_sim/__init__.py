"""A wire-faithful local simulator of Kiwoom's REST API (mock server), built on aiohttp.

Start it with `python -m kiwoom_sim`, or in tests with `kiwoom_sim.testing.running_simulator()`.
"""

from .app import create_app
from .config import SimConfig
from .state import DEMO_APP_KEY, DEMO_SECRET

__all__ = ["DEMO_APP_KEY", "DEMO_SECRET", "SimConfig", "create_app"]
