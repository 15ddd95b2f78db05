"""Libraries beyond one machine, on Ray (``pip install 'desktop-qa[cluster]'``).

``build``: documents are extracted, tokenised and windowed by Ray tasks across a
cluster, each task writing an index shard (a library database of its files)
that the driver merges into the library the desktop opens. ``readers``: batch
questions read by a pool of reader actors, one per core. Both call the same
core functions as the desktop and never reimplement them; nothing outside this
package imports Ray.
"""
