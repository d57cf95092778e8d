"""The domain: what codeconn's resources are, as typed, frozen values with their rules.

Handlers in `codeconn.service` read a record, turn it into one of these values
(`X.from_record`), decide with it, and write it back (`x.to_record()`); the
record layouts are the ones the store has always held, so existing databases
keep working. Nothing here reads or writes the store, authorizes, or knows HTTP:
the domain imports only the store's interface (`Record`) and the pure engine.

    arns         connections ARNs (ResourceKind, Arn, parse_arn, resource_arn), CONNECTIONS_SERVICES
    providers    which provider types exist, which need a host, which name an endpoint
    lifecycle    connection and host statuses, the moves between them, host_status
    quotas       the connections services' quotas and the rule that applies them
    connections  Connection, Host, RepositoryLink
    sync         SyncConfiguration, SyncBlocker, and how Git sync's state is kept
    ids          IAM unique ids, access key ids, secrets, IAM ARNs
    principals   User, Group, Role (one EntityKind each), AccessKey, and IAM's per-entity limits
    policies     ManagedPolicy with its versions and counts; the AWS managed policies codeconn knows

Providers and pipelines will live next to this package and speak in its types.
"""
