"""Pipeline executions: the worker that runs them, their artifacts and their triggers.

This package sits between the server and the service layer: the server starts the
worker and feeds it source changes; the worker runs actions through the service
layer's rules (the pipeline role's session, UseConnection on every provider call).

Modules: `worker` (the loop: claim, step, release), `leases` (the queue's claims),
`role_session` (assuming the pipeline's role), `source_action` (CodeStarSourceConnection),
`directory_artifacts` (the default ArtifactStore), `runtime` (what the parts share),
`starter` (StoreStarter, the PipelineStarter triggers call).

Seams shared by its parts:
- `artifact_store`: where source artifacts go (a local directory or an S3-compatible endpoint);
- `changes`: what a trigger reports (a new commit on a branch) and what starts a pipeline.
"""
