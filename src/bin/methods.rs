//! Security info and passkey sign-in, loaded after the first step.

fn main() {
    tapin_app::methods::start();
}
