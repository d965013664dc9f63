"""The outputs a reader opens: each draws the pages (``explorer.pages``) its own way.

``dashboards`` (the live Voila dashboards: widgets, presentation mode, the room panel;
``build(name)`` is the one call a notebook makes), ``site`` (the static read-only site),
``briefings`` (briefings, project briefs and handouts to print or email) and ``notebooks``
(the Voila notebooks, generated from the page registry).
"""
