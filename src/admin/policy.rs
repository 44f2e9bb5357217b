//! The Temporary Access Pass policy: read by every administrator, changed
//! by an authentication policy administrator, with the same rules as the
//! command line and the API (`tapin_api::validate_policy_lifetimes`).

use super::{api, focus_heading, text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::admin::AdminMe;
use tapin_api::graph::{
    MethodTarget, TemporaryAccessPassConfiguration as Config,
    TemporaryAccessPassConfigurationPatch as Patch,
};
use tapin_api::validate::{validate_pass_length, validate_policy_lifetimes};

/// `all`, `group:NAME`, `user:UPN`, as the command line writes targets.
fn targets_text(list: &[MethodTarget]) -> String {
    list.iter()
        .map(|t| match (t.target_type.as_str(), t.id.as_str()) {
            ("group", "all_users") => "all".to_string(),
            (kind, id) => format!("{kind}:{id}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_targets(text: &str) -> Vec<MethodTarget> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (kind, id) = match t.split_once(':') {
                _ if t.eq_ignore_ascii_case("all") => ("group", "all_users"),
                Some((kind, id)) => (kind.trim(), id.trim()),
                None => ("group", t),
            };
            MethodTarget {
                target_type: kind.to_string(),
                id: id.to_string(),
                is_registration_required: None,
                odata_type: None,
            }
        })
        .collect()
}

#[component]
pub fn PolicyPage(me: AdminMe) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let config = LocalResource::new(api::policy);
    let editable = me.edit_policy;
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::ADM_POLICY_HEADING()}</h1>
        <Suspense fallback=|| view! { <p>{crate::text::LOADING()}</p> }>
            {move || config.get().map(|c| match c {
                Err(f) => view! { <p class="error" role="alert">{text::failure(&f)}</p> }.into_any(),
                Ok(c) if editable => view! { <PolicyForm c/> }.into_any(),
                Ok(c) => view! { <PolicyFacts c/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn PolicyFacts(c: Config) -> impl IntoView {
    let yes_no = |b: bool| if b { text::ADM_YES() } else { text::ADM_NO() };
    let required = c
        .include_targets
        .iter()
        .any(|t| t.is_registration_required == Some(true));
    view! {
        <p class="notice">{text::ADM_POLICY_READ_ONLY()}</p>
        <dl class="facts">
            <dt>{text::ADM_POLICY_ENABLED()}</dt><dd>{yes_no(c.state == "enabled")}</dd>
            <dt>{text::ADM_POLICY_INCLUDE()}</dt><dd>{targets_text(&c.include_targets)}</dd>
            <dt>{text::ADM_POLICY_EXCLUDE()}</dt><dd>{targets_text(&c.exclude_targets)}</dd>
            <dt>{text::ADM_POLICY_MIN()}</dt><dd>{c.minimum_lifetime_in_minutes}</dd>
            <dt>{text::ADM_POLICY_MAX()}</dt><dd>{c.maximum_lifetime_in_minutes}</dd>
            <dt>{text::ADM_POLICY_DEFAULT()}</dt><dd>{c.default_lifetime_in_minutes}</dd>
            <dt>{text::ADM_POLICY_ONE_TIME()}</dt><dd>{yes_no(c.is_usable_once)}</dd>
            <dt>{text::ADM_POLICY_LENGTH()}</dt><dd>{c.default_length}</dd>
            <dt>{text::ADM_POLICY_REQUIRED()}</dt><dd>{yes_no(required)}</dd>
        </dl>
    }
}

#[component]
fn NumberField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="number" inputmode="numeric" required
                aria-describedby=described
                aria-invalid=move || error.get().is_some().then_some("true")
                prop:value=move || value.get()
                on:input=move |e| value.set(event_target_value(&e))/>
            <p id=error_id class="error" hidden=move || error.get().is_none()>{move || error.get()}</p>
        </div>
    }
}

#[component]
fn PolicyForm(c: Config) -> impl IntoView {
    let enabled = RwSignal::new(c.state == "enabled");
    let include = RwSignal::new(targets_text(&c.include_targets));
    let exclude = RwSignal::new(targets_text(&c.exclude_targets));
    let min = RwSignal::new(c.minimum_lifetime_in_minutes.to_string());
    let max = RwSignal::new(c.maximum_lifetime_in_minutes.to_string());
    let default = RwSignal::new(c.default_lifetime_in_minutes.to_string());
    let length = RwSignal::new(c.default_length.to_string());
    let once = RwSignal::new(c.is_usable_once);
    let required = RwSignal::new(
        c.include_targets
            .iter()
            .any(|t| t.is_registration_required == Some(true)),
    );
    let status = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let number = |s: RwSignal<String>| s.get().trim().parse::<u32>().unwrap_or(0);
    // Which field the shared rules blame, and why.
    let lifetimes = Signal::derive(move || {
        validate_policy_lifetimes(number(min), number(max), number(default)).err()
    });
    let blame = move |field: &'static str| {
        Signal::derive(move || {
            lifetimes
                .get()
                .filter(|e| e.field == field)
                .map(|e| text::policy_field(&e))
        })
    };
    let length_error = Signal::derive(move || {
        validate_pass_length(number(length))
            .err()
            .map(|e| text::policy_field(&e))
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if lifetimes.get_untracked().is_some() || length_error.get_untracked().is_some() {
            error.set(Some(text::ADM_POLICY_FIX().into()));
            return;
        }
        let mut include_targets = parse_targets(&include.get_untracked());
        for t in &mut include_targets {
            t.is_registration_required = Some(required.get_untracked());
        }
        let patch = Patch {
            odata_type: None,
            state: Some(
                if enabled.get_untracked() {
                    "enabled"
                } else {
                    "disabled"
                }
                .into(),
            ),
            default_lifetime_in_minutes: Some(number(default)),
            default_length: Some(number(length)),
            minimum_lifetime_in_minutes: Some(number(min)),
            maximum_lifetime_in_minutes: Some(number(max)),
            is_usable_once: Some(once.get_untracked()),
            include_targets: Some(include_targets),
            exclude_targets: Some(parse_targets(&exclude.get_untracked())),
        };
        spawn_local(async move {
            match api::save_policy(&patch).await {
                Ok(()) => {
                    error.set(None);
                    status.set(text::ADM_POLICY_SAVED().into());
                }
                Err(f) => {
                    status.set(String::new());
                    error.set(Some(text::failure(&f)));
                }
            }
        });
    };
    let check = |id: &'static str, label: &'static str, value: RwSignal<bool>| {
        view! {
            <div class="field check">
                <input id=id type="checkbox" prop:checked=move || value.get() on:change=move |e| value.set(event_target_checked(&e))/>
                <label for=id>{label}</label>
            </div>
        }
    };
    view! {
        <form class="policy" on:submit=save novalidate>
            {check("enabled", text::ADM_POLICY_ENABLED(), enabled)}
            <div class="field">
                <label for="include">{text::ADM_POLICY_INCLUDE()}</label>
                <p id="include-hint" class="hint">{text::ADM_TARGETS_HINT()}</p>
                <input id="include" type="text" spellcheck="false" aria-describedby="include-hint"
                    prop:value=move || include.get() on:input=move |e| include.set(event_target_value(&e))/>
            </div>
            <div class="field">
                <label for="exclude">{text::ADM_POLICY_EXCLUDE()}</label>
                <p id="exclude-hint" class="hint">{text::ADM_TARGETS_HINT()}</p>
                <input id="exclude" type="text" spellcheck="false" aria-describedby="exclude-hint"
                    prop:value=move || exclude.get() on:input=move |e| exclude.set(event_target_value(&e))/>
            </div>
            <NumberField id="min" label=text::ADM_POLICY_MIN() value=min error=blame("min_lifetime_minutes")/>
            <NumberField id="max" label=text::ADM_POLICY_MAX() value=max error=blame("max_lifetime_minutes")/>
            <NumberField id="default" label=text::ADM_POLICY_DEFAULT() value=default error=blame("default_lifetime_minutes")/>
            <NumberField id="length" label=text::ADM_POLICY_LENGTH() value=length error=length_error/>
            {check("one-time", text::ADM_POLICY_ONE_TIME(), once)}
            {check("required", text::ADM_POLICY_REQUIRED(), required)}
            <p class="visually-hidden" role="status" aria-live="polite">{move || status.get()}</p>
            <p class="success" hidden=move || status.with(String::is_empty)>{move || status.get()}</p>
            <p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <button type="submit" class="primary">{text::ADM_POLICY_SAVE()}</button>
        </form>
    }
}
