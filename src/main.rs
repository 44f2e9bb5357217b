//! Mounts the tapin app; everything else lives in the modules below.

mod api;
mod app;
mod countdown;
mod nav;
mod pages;
mod text;
mod time;

fn main() {
    app::start();
}
