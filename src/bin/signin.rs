//! Signing in to another application, loaded only at /signin.

fn main() {
    tapin_app::signin::start();
}
