"""Page objects: HTML and URL in, raw fields out. They know nothing of requests.

One module per site layout; every selector of a layout is a named class
attribute of its page classes, so that an operator who finds the live markup
different corrects it in one place. A redesign becomes a subclass that
overrides what changed (``MainSiteV2(MainSiteV1)``), and ``LAYOUTS`` points
at the version in force.
"""

from crawler.pages.auto import AutoLayout
from crawler.pages.base import Layout
from crawler.pages.main import MainSiteV1
from crawler.pages.mission import MissionSiteV1

# The versions in force, by the name a sites file gives them: the one list of
# layouts. "auto" reads each page with the layout whose markup it shows.
LAYOUTS: dict[str, type[Layout]] = {
    layout.name: layout for layout in (MainSiteV1, MissionSiteV1, AutoLayout)
}

__all__ = ["LAYOUTS", "Layout"]
