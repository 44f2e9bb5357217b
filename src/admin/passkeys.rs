//! The passkey profiles: which authenticators may hold people's keys, read
//! by every administrator and changed by an authentication policy
//! administrator, through Graph's `fido2AuthenticationMethodConfiguration`
//! (the rule the CLI and the API ask; the server words what it refuses).

use super::{api, focus_heading, text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::admin::AdminMe;
use tapin_api::graph::fido2::{
    Fido2Configuration as Config, Fido2ConfigurationPatch as Patch, Fido2KeyRestrictions,
    PasskeyProfile, PasskeyTarget,
};
use tapin_api::graph::GraphGroup;

/// The default profile's id (the server's `DEFAULT_PROFILE_ID`, sent in
/// every configuration as `defaultPasskeyProfile`).
fn is_default(c: &Config, id: &str) -> bool {
    c.default_passkey_profile == id
}

/// One profile as the form holds it.
#[derive(Clone, Copy)]
struct Draft {
    id: StoredValue<String>,
    default: bool,
    name: RwSignal<String>,
    groups: RwSignal<String>,
    /// `deviceBound,synced`, `deviceBound` or `synced`, as Graph writes them.
    types: RwSignal<String>,
    attestation: RwSignal<bool>,
    /// `any`, `allow` or `block`.
    models: RwSignal<String>,
    aaguids: RwSignal<String>,
}

/// The groups that name each profile, by name where the directory has one.
fn groups_of(c: &Config, id: &str) -> String {
    c.include_targets
        .iter()
        .filter(|t| t.id != "all_users" && t.allowed_passkey_profiles.iter().any(|p| p == id))
        .map(|t| t.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Draft {
    fn of(c: &Config, p: &PasskeyProfile) -> Self {
        let r = &p.key_restrictions;
        Self {
            id: StoredValue::new(p.id.clone()),
            default: is_default(c, &p.id),
            name: RwSignal::new(p.name.clone()),
            groups: RwSignal::new(groups_of(c, &p.id)),
            types: RwSignal::new(p.passkey_types.clone()),
            attestation: RwSignal::new(p.attestation_enforcement != "disabled"),
            models: RwSignal::new(if r.is_enforced {
                r.enforcement_type.clone()
            } else {
                "any".into()
            }),
            aaguids: RwSignal::new(r.aa_guids.join("\n")),
        }
    }

    fn fresh() -> Self {
        Self {
            id: StoredValue::new(random_uuid()),
            default: false,
            name: RwSignal::new(text::ADM_PK_NEW_NAME().into()),
            groups: RwSignal::new(String::new()),
            types: RwSignal::new("deviceBound,synced".into()),
            attestation: RwSignal::new(false),
            models: RwSignal::new("any".into()),
            aaguids: RwSignal::new(String::new()),
        }
    }

    fn profile(&self) -> PasskeyProfile {
        let models = self.models.get_untracked();
        PasskeyProfile {
            odata_type: None,
            id: self.id.get_value(),
            name: self.name.get_untracked().trim().to_string(),
            passkey_types: self.types.get_untracked(),
            attestation_enforcement: if self.attestation.get_untracked() {
                "registrationOnly"
            } else {
                "disabled"
            }
            .into(),
            key_restrictions: Fido2KeyRestrictions {
                odata_type: None,
                is_enforced: models != "any",
                enforcement_type: if models == "allow" { "allow" } else { "block" }.into(),
                aa_guids: self
                    .aaguids
                    .get_untracked()
                    .split([',', '\n', ' '])
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect(),
            },
        }
    }
}

/// A GUID for a new profile, from the browser's `crypto.randomUUID()`.
fn random_uuid() -> String {
    use wasm_bindgen::JsCast;
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
    crypto
        .and_then(|c| {
            let f = js_sys::Reflect::get(&c, &"randomUUID".into()).ok()?;
            f.dyn_into::<js_sys::Function>()
                .ok()?
                .call0(&c)
                .ok()?
                .as_string()
        })
        .unwrap_or_default()
}

/// What the server says is wrong, under the help desk's own sentence.
fn refusal(f: &crate::api::Failure) -> String {
    match f {
        crate::api::Failure::Api(b) if b.code == tapin_api::wire::ErrorCode::InvalidInput => {
            format!("{} {}", text::failure(f), b.message)
        }
        f => text::failure(f),
    }
}

#[component]
pub fn PasskeysPage(me: AdminMe) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let config = LocalResource::new(api::passkey_profiles);
    let editable = me.edit_policy;
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::ADM_PK_HEADING()}</h1>
        <p class="hint">{text::ADM_PK_INTRO()}</p>
        <Suspense fallback=|| view! { <p>{crate::text::LOADING()}</p> }>
            {move || config.get().map(|c| match c {
                Err(f) => view! { <p class="error" role="alert">{text::failure(&f)}</p> }.into_any(),
                Ok((c, groups)) if editable => view! { <ProfilesForm c groups/> }.into_any(),
                Ok((c, _)) => view! { <ProfilesFacts c/> }.into_any(),
            })}
        </Suspense>
    }
}

fn types_text(types: &str) -> &'static str {
    match types {
        "deviceBound" => text::ADM_PK_TYPES_DEVICE(),
        "synced" => text::ADM_PK_TYPES_SYNCED(),
        _ => text::ADM_PK_TYPES_BOTH(),
    }
}

fn models_text(r: &Fido2KeyRestrictions) -> String {
    match (r.is_enforced, r.enforcement_type.as_str()) {
        (false, _) => text::ADM_PK_MODELS_ANY().into(),
        (true, "allow") => format!("{}: {}", text::ADM_PK_MODELS_ALLOW(), r.aa_guids.join(", ")),
        _ => format!("{}: {}", text::ADM_PK_MODELS_BLOCK(), r.aa_guids.join(", ")),
    }
}

#[component]
fn ProfilesFacts(c: Config) -> impl IntoView {
    let yes_no = |b: bool| if b { text::ADM_YES() } else { text::ADM_NO() };
    let rows = c
        .passkey_profiles
        .iter()
        .map(|p| {
            let groups = if is_default(&c, &p.id) {
                text::ADM_PK_DEFAULT_FOR().to_string()
            } else {
                groups_of(&c, &p.id)
            };
            view! {
                <tr>
                    <th scope="row">{p.name.clone()}</th>
                    <td>{groups}</td>
                    <td>{types_text(&p.passkey_types)}</td>
                    <td>{yes_no(p.attestation_enforcement != "disabled")}</td>
                    <td>{models_text(&p.key_restrictions)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="notice">{text::ADM_PK_READ_ONLY()}</p>
        <table class="profiles">
            <thead><tr>
                <th scope="col">{text::ADM_PK_NAME()}</th>
                <th scope="col">{text::ADM_PK_GROUPS()}</th>
                <th scope="col">{text::ADM_PK_TYPES()}</th>
                <th scope="col">{text::ADM_PK_ATTESTATION_SHORT()}</th>
                <th scope="col">{text::ADM_PK_MODELS()}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn ProfilesForm(c: Config, groups: Vec<GraphGroup>) -> impl IntoView {
    // A group the directory names exactly is sent by its id: names can
    // differ only in case, and a rename must not move a profile.
    let groups = StoredValue::new(groups);
    let id_of = move |name: &str| {
        groups.with_value(|list| {
            list.iter()
                .find(|g| g.display_name == name)
                .map_or_else(|| name.to_string(), |g| g.id.clone())
        })
    };
    let drafts = RwSignal::new(
        c.passkey_profiles
            .iter()
            .map(|p| Draft::of(&c, p))
            .collect::<Vec<_>>(),
    );
    let status = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |_| {
        // New profiles go above the default, which is always last.
        drafts.update(|d| {
            let at = d.len().saturating_sub(1);
            d.insert(at, Draft::fresh());
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let list = drafts.get_untracked();
        let mut targets = Vec::new();
        for d in &list {
            let groups = if d.default {
                "all_users".to_string()
            } else {
                d.groups.get_untracked()
            };
            for g in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                targets.push(PasskeyTarget {
                    odata_type: None,
                    target_type: "group".into(),
                    id: if d.default { g.to_string() } else { id_of(g) },
                    is_registration_required: false,
                    allowed_passkey_profiles: vec![d.id.get_value()],
                });
            }
        }
        let patch = Patch {
            passkey_profiles: Some(list.iter().map(Draft::profile).collect()),
            include_targets: Some(targets),
            ..Patch::default()
        };
        spawn_local(async move {
            match api::save_passkey_profiles(&patch).await {
                Ok(()) => {
                    error.set(None);
                    status.set(text::ADM_PK_SAVED().into());
                }
                Err(f) => {
                    status.set(String::new());
                    error.set(Some(refusal(&f)));
                }
            }
        });
    };
    view! {
        <form class="policy profiles" on:submit=save novalidate>
            {move || drafts.get().into_iter().map(|d| view! { <ProfileFields d drafts/> }).collect_view()}
            <button type="button" on:click=add>{text::ADM_PK_ADD()}</button>
            <p class="visually-hidden" role="status" aria-live="polite">{move || status.get()}</p>
            <p class="success" hidden=move || status.with(String::is_empty)>{move || status.get()}</p>
            <p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <button type="submit" class="primary">{text::ADM_PK_SAVE()}</button>
        </form>
    }
}

#[component]
fn ProfileFields(d: Draft, drafts: RwSignal<Vec<Draft>>) -> impl IntoView {
    let id = d.id.get_value();
    let f = move |part: &str| format!("pp-{id}-{part}");
    let legend = move || d.name.get();
    let remove =
        move |_| drafts.update(|list| list.retain(|x| x.id.get_value() != d.id.get_value()));
    let choice =
        move |value: &'static str, label: &'static str, signal: RwSignal<String>, name: String| {
            let input = format!("{name}-{value}");
            view! {
                <div class="field check">
                    <input type="radio" id=input.clone() name=name value=value
                        prop:checked=move || signal.get() == value
                        on:change=move |_| signal.set(value.into())/>
                    <label for=input>{label}</label>
                </div>
            }
        };
    view! {
        <fieldset class="profile">
            <legend>{legend}</legend>
            <div class="field">
                <label for=f("name")>{text::ADM_PK_NAME()}</label>
                <input id=f("name") type="text" maxlength="64" required
                    prop:value=move || d.name.get() on:input=move |e| d.name.set(event_target_value(&e))/>
            </div>
            {if d.default {
                view! { <p class="hint">{text::ADM_PK_DEFAULT_FOR()}</p> }.into_any()
            } else {
                view! {
                    <div class="field">
                        <label for=f("groups")>{text::ADM_PK_GROUPS()}</label>
                        <p id=f("groups-hint") class="hint">{text::ADM_PK_GROUPS_HINT()}</p>
                        <input id=f("groups") type="text" spellcheck="false" aria-describedby=f("groups-hint")
                            prop:value=move || d.groups.get() on:input=move |e| d.groups.set(event_target_value(&e))/>
                    </div>
                }.into_any()
            }}
            <fieldset class="choices">
                <legend>{text::ADM_PK_TYPES()}</legend>
                {choice("deviceBound,synced", text::ADM_PK_TYPES_BOTH(), d.types, f("types"))}
                {choice("deviceBound", text::ADM_PK_TYPES_DEVICE(), d.types, f("types"))}
                {choice("synced", text::ADM_PK_TYPES_SYNCED(), d.types, f("types"))}
            </fieldset>
            <div class="field check">
                <input id=f("attestation") type="checkbox" prop:checked=move || d.attestation.get()
                    on:change=move |e| d.attestation.set(event_target_checked(&e))/>
                <label for=f("attestation")>{text::ADM_PK_ATTESTATION()}</label>
            </div>
            <fieldset class="choices">
                <legend>{text::ADM_PK_MODELS()}</legend>
                {choice("any", text::ADM_PK_MODELS_ANY(), d.models, f("models"))}
                {choice("allow", text::ADM_PK_MODELS_ALLOW(), d.models, f("models"))}
                {choice("block", text::ADM_PK_MODELS_BLOCK(), d.models, f("models"))}
            </fieldset>
            <div class="field" hidden=move || d.models.get() == "any">
                <label for=f("aaguids")>{text::ADM_PK_AAGUIDS()}</label>
                <p id=f("aaguids-hint") class="hint">{text::ADM_PK_AAGUIDS_HINT()}</p>
                <textarea id=f("aaguids") rows="3" spellcheck="false" aria-describedby=f("aaguids-hint")
                    prop:value=move || d.aaguids.get() on:input=move |e| d.aaguids.set(event_target_value(&e))></textarea>
            </div>
            {(!d.default).then(|| view! {
                <button type="button" class="link" on:click=remove>{text::ADM_PK_REMOVE()}</button>
            })}
        </fieldset>
    }
}
