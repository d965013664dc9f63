"""Serving the dashboards: the server, its kernels and how they start.

``server`` (Voila with the rooms' join page beside it: ``python -m explorer serve``),
``kernels`` (Voila's kernel manager with back-pressure and a cap, and a prompt kernel
client), ``provisioner`` (Jupyter's kernel provisioner: kernels forked from a warm process)
and ``preload`` (that warm process).
"""
