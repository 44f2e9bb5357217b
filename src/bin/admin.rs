//! The help desk, loaded only at /admin.

fn main() {
    tapin_app::admin::start();
}
