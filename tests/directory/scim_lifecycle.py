"""The directory's whole lifecycle, driven by scim2-client (PyPI, python-scim),
a SCIM client nobody here wrote, against a running tapin:

joiners created (after the filter Entra ID sends before every create) with
the enterprise extension, a group with members, members added and removed,
a rename, a disable that signs the person's open session out and stops
their sign-in, an enable, and removal; each change checked from outside.

Usage: scim_lifecycle.py BASE_URL TOKEN TAPIN_BINARY [TAPIN_ARGS...]
(TAPIN_ARGS: how the command line reaches the same database, e.g. --db FILE)
Prints one line per step; exits non-zero at the first thing that is wrong.
"""

import json
import subprocess
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import PatchOp, PatchOperation, SCIMException, SearchRequest

base, token, tapin = sys.argv[1:4]
tapin_args = sys.argv[4:]


def step(what):
    print(f"ok - {what}", flush=True)


def cli(*args):
    return subprocess.run(
        [tapin, *tapin_args, *args], check=True, capture_output=True, text=True
    ).stdout


http = Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"})
browser = Client(base_url=base, headers={"Origin": base})
scim = SyncSCIMClient(http)
scim.discover()
User = scim.get_resource_model("User")
Group = scim.get_resource_model("Group")
Enterprise = User.get_extension_model("EnterpriseUser")
step("discovered Users, Groups and the enterprise extension")


def find(name):
    return scim.query(User, query_parameters=SearchRequest(filter=f'userName eq "{name}"'))


def sign_in(upn):
    """Signs in with a fresh pass as a person's browser would; the cookie."""
    code = json.loads(cli("tap", "issue", upn, "--json"))["temporaryAccessPass"]
    r = browser.post("/api/v1/signin/pass", json={"upn": upn, "pass": code})
    assert r.status_code == 200, (r.status_code, r.text)
    return r.headers["set-cookie"].split(";")[0]


def session_status(cookie):
    return browser.get("/api/v1/session", headers={"Cookie": cookie}).status_code


# ---- joiners -------------------------------------------------------------------
assert find("joan.clarke@contoso.com").total_results == 0
joan = User(
    user_name="joan.clarke@contoso.com",
    display_name="Joan Clarke",
    external_id="E-1001",
    active=True,
    emails=[User.Emails(value="joan.clarke@contoso.com", type="work", primary=True)],
)
joan[Enterprise] = Enterprise(employee_number="1001", department="Cryptanalysis")
joan = scim.create(joan)
assert joan.id and joan.meta.version, joan
alan = scim.create(User(user_name="alan.t@contoso.com", display_name="Alan T", external_id="E-1002"))
assert find("JOAN.CLARKE@contoso.com").resources[0].id == joan.id, "userName matches in any case"
try:
    scim.create(User(user_name="joan.clarke@contoso.com"))
    raise AssertionError("a second joan.clarke was created")
except SCIMException as e:
    assert e.to_error().scim_type == "uniqueness", e.to_error()
step("joiners created after the filter before create; a taken userName is refused as uniqueness")

got = scim.query(User, joan.id)
assert got[Enterprise].department == "Cryptanalysis", got
assert got.emails[0].value == "joan.clarke@contoso.com"
byext = scim.query(User, query_parameters=SearchRequest(filter='externalId eq "E-1001"'))
assert [u.id for u in byext.resources] == [joan.id]
complex_ = scim.query(
    User,
    query_parameters=SearchRequest(
        filter='(emails[type eq "work" and value co "contoso"] or userName sw "nobody") and not (active eq false)'
    ),
)
assert joan.id in [u.id for u in complex_.resources], complex_
paged = scim.query(User, query_parameters=SearchRequest(start_index=2, count=1))
assert paged.total_results >= 2 and len(paged.resources) == 1 and paged.start_index == 2
step("read back with its extension; found by externalId, by a value filter with and/or/not, and by page")

# ---- a group, members in and out ------------------------------------------------
staff = scim.create(Group(display_name="Cipher staff", members=[Group.Members(value=joan.id)]))
assert [m.value for m in staff.members] == [joan.id]
scim.modify(Group, staff.id, PatchOp[Group](operations=[PatchOperation(op="add", path="members", value=[{"value": alan.id}])]))
staff = scim.query(Group, staff.id)
assert sorted(m.value for m in staff.members) == sorted([joan.id, alan.id]), staff
scim.modify(Group, staff.id, PatchOp[Group](operations=[PatchOperation(op="remove", path=f'members[value eq "{alan.id}"]')]))
staff = scim.query(Group, staff.id)
assert [m.value for m in staff.members] == [joan.id], staff
lean = scim.query(Group, query_parameters=SearchRequest(filter='displayName eq "Cipher staff"', excluded_attributes=["members"]))
assert lean.resources[0].members is None, lean
listed = json.loads(cli("user", "list", "--json"))
assert "Cipher staff" in next(u for u in listed if u["upn"] == "joan.clarke@contoso.com")["groups"]
step("a group created with a member; one added and one removed by PATCH; members left out on request; tapin sees the group")

# ---- a mover ---------------------------------------------------------------------
cookie = sign_in("joan.clarke@contoso.com")
assert session_status(cookie) == 200
scim.modify(User, joan.id, PatchOp[User](operations=[PatchOperation(op="replace", path="userName", value="joan.murray@contoso.com")]))
assert find("joan.clarke@contoso.com").total_results == 0
assert find("joan.murray@contoso.com").resources[0].id == joan.id
assert session_status(cookie) == 200, "a rename keeps the person signed in"
step("renamed: the new name finds the same person, the old one nobody")

# ---- a stale write is refused ----------------------------------------------------
current = scim.query(User, joan.id)
stale = http.patch(
    f"/Users/{joan.id}",
    headers={"If-Match": 'W/"1"', "Content-Type": "application/scim+json"},
    content=json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}),
)
assert stale.status_code == 412, (stale.status_code, stale.text)
fresh = http.patch(
    f"/Users/{joan.id}",
    headers={"If-Match": current.meta.version, "Content-Type": "application/scim+json"},
    content=json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "displayName", "value": "Joan Murray"}]}),
)
assert fresh.status_code == 200, (fresh.status_code, fresh.text)
step("a PATCH for an old version is refused with 412; for the current one it is made")

# ---- a leaver ----------------------------------------------------------------------
code = json.loads(cli("tap", "issue", "joan.murray@contoso.com", "--json"))["temporaryAccessPass"]
scim.modify(User, joan.id, PatchOp[User](operations=[PatchOperation(op="replace", path="active", value=False)]))
assert session_status(cookie) == 401, "the open session ends at once"
r = browser.post("/api/v1/signin/pass", json={"upn": "joan.murray@contoso.com", "pass": code})
assert r.status_code == 401 and r.json()["code"] == "pass_invalid", (r.status_code, r.text)
assert scim.query(User, joan.id).active is False
step("disabled: the open session gets 401 and sign-in is refused like a wrong pass")

# Entra sends booleans as strings.
raw = http.patch(
    f"/Users/{joan.id}",
    headers={"Content-Type": "application/scim+json"},
    content=json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}),
)
assert raw.status_code == 200 and raw.json()["active"] is True, raw.text
cookie = sign_in("joan.murray@contoso.com")
assert session_status(cookie) == 200
step('enabled again with Entra\'s "True": she signs in')

# ---- removal -------------------------------------------------------------------------
scim.delete(User, joan.id)
assert session_status(cookie) == 401
try:
    scim.query(User, joan.id)
    raise AssertionError("a removed user is still there")
except SCIMException as e:
    assert e.to_error().status == 404
staff = scim.query(Group, staff.id)
assert not staff.members, staff
audit = cli("audit", "--json")
assert '"user_removed"' in audit and "provisioning token" in audit
scim.delete(Group, staff.id)
scim.delete(User, alan.id)
step("removed: sessions end, the group loses her, the audit trail keeps it with the token as actor")
