"""The `codeconn` command's typer app: every subcommand, registered once (loaded by `codeconn.cli` on first use)."""

from __future__ import annotations

import typer

from codeconn.cli import audit, aws, git_credential, policy_lint, policy_simulate, policy_test, serve

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None, help="codeconn: AWS CodeConnections, locally, with IAM enforced.")
policy_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Simulate, test and lint IAM policies.")
app.add_typer(policy_app, name="policy")

policy_simulate.register(policy_app)
policy_test.register(policy_app)
policy_lint.register(policy_app)
serve.register(app)
audit.register(app)
aws.register(app)
git_credential.register(app)


__all__ = ["app", "policy_app"]
