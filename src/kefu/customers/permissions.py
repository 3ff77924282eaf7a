"""What each role may do in the customer archive (collected by accounts.roles, decision 0018)."""

from kefu.accounts.roles import Role

_ARCHIVE_READ = [
    "customers.view_customer",
    "customers.view_ownedproduct",
    "customers.view_lifeevent",
    "customers.view_productcategory",
    "customers.view_productmodel",
]
_ARCHIVE_WRITE = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_ownedproduct",
    "customers.change_ownedproduct",
    "customers.add_lifeevent",
    "customers.change_lifeevent",
]
_REVEAL = ["customers.reveal_phone"]
# Merging two records of one customer (decision 0014): a supervisor's call, not every agent's.
_MERGE = ["customers.merge_customer"]
_CATALOGUE = [
    "customers.add_productcategory",
    "customers.change_productcategory",
    "customers.add_productmodel",
    "customers.change_productmodel",
]

ROLE_GRANTS: dict[str, list[str]] = {
    Role.AGENT: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL,
    Role.SUPERVISOR: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL + _MERGE,
    # A technician reads the archive and changes nothing in it; full numbers, and the changes
    # a visit makes (a product's serial, its warranty), come with their own visits (field service).
    Role.TECHNICIAN: _ARCHIVE_READ,
    Role.SALES: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL,
    Role.CENTRE: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL,
    Role.MANAGER: _ARCHIVE_READ + _REVEAL + _CATALOGUE + _MERGE,
    Role.ADMIN: _ARCHIVE_READ + _ARCHIVE_WRITE + _REVEAL + _CATALOGUE + _MERGE,
}
