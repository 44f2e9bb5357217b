//! The live passwordless-window countdown. The arithmetic lives in
//! `tapin_api::countdown`; this only ticks and renders it.

use crate::text;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::time::Duration;
use tapin_api::countdown::{ClockSkew, Phase, Remaining};

#[component]
pub fn Countdown(
    deadline: DateTime<Utc>,
    skew: ClockSkew,
    /// Follows the phase, for controls that close with the window.
    #[prop(optional)]
    phase_out: Option<RwSignal<Phase>>,
) -> impl IntoView {
    let now = RwSignal::new(Utc::now());
    if let Ok(handle) =
        set_interval_with_handle(move || now.set(Utc::now()), Duration::from_millis(1000))
    {
        on_cleanup(move || handle.clear());
    }
    let remaining = Memo::new(move |_| Remaining::at(deadline, skew, now.get()));
    let phase = Memo::new(move |_| remaining.get().phase());
    if let Some(out) = phase_out {
        Effect::new(move |_| out.set(phase.get()));
    }
    // Screen readers hear about the time only when the minute changes.
    let announced = Memo::new(move |_| remaining.get().minutes_to_announce());

    view! {
        <section class="countdown" class:warning=move || phase.get() == Phase::Warning class:closed=move || phase.get() == Phase::Closed aria-labelledby="countdown-label">
            <h2 id="countdown-label">{text::COUNTDOWN_LABEL()}</h2>
            <p class="clock" role="timer" aria-hidden="true">{move || remaining.get().clock_text()}</p>
            <p class="visually-hidden" aria-live="polite" aria-atomic="true">
                {move || match announced.get() { 0 => String::new(), m => text::minutes_left(m) }}
            </p>
            {move || match phase.get() {
                Phase::Open => view! { <p>{text::COUNTDOWN_EXPLAIN()}</p> }.into_any(),
                Phase::Warning => view! { <p class="notice" role="status">{text::COUNTDOWN_WARNING()}</p> }.into_any(),
                Phase::Closed => view! { <p class="notice" role="status">{text::COUNTDOWN_CLOSED()}</p> }.into_any(),
            }}
        </section>
    }
}
