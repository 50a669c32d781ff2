"""How documents become chunks, vectors and cited answers (Haystack pipelines and components).

Importing the package switches off every phone-home path of the libraries (pipelines/offline.py), so a
script that uses ``QueryService`` or the ingestion directly, without the ``auskunft`` command, sends no
telemetry either (Haystack's PostHog client otherwise tries eu.i.posthog.com on the first pipeline run).
"""

from pipelines.offline import enforce_offline

enforce_offline()
