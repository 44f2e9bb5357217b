//! The first load: the account and pass steps.

fn main() {
    tapin_app::first_load::start();
}
