//! The doors at the moment of acting: what passed a door with its headers
//! is asked again when the body has arrived and the work runs.

use super::*;

/// The door is asked again when the work runs: a request's headers pass the
/// door before its body arrives, and an API token revoked in between (or a
/// session ended) must not finish the change.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_revoked_while_the_body_is_on_its_way_issues_no_pass() {
    let s = server(&[], 8);
    let token = blocking(|| {
        s.tapin
            .add_user(NewUser {
                upn: "pat@contoso.com".into(),
                display_name: "Pat".into(),
                role: Role::Admin,
                admin_roles: vec![
                    tapin_server::domain::AdminRole::PrivilegedAuthenticationAdministrator,
                ],
                groups: vec![],
                time_zone: None,
            })
            .unwrap();
        s.tapin
            .create_token("pat@contoso.com", "script", None, false)
            .unwrap()
    });
    // A body that says when it is first read (the door has passed by then)
    // and arrives only when let go.
    let (read, reading) = tokio::sync::oneshot::channel::<()>();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let body = futures_util::stream::once(async move {
        let _ = read.send(());
        let _ = released.await;
        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{}"))
    });
    let mut req = Request::builder()
        .method("POST")
        .uri("/graph/v1.0/users/ada@contoso.com/authentication/temporaryAccessPassMethods")
        .header("host", "localhost")
        .header("authorization", format!("Bearer {}", token.token))
        .header("content-type", "application/json")
        .body(Body::from_stream(body))
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(
        "192.0.2.7:40000".parse::<SocketAddr>().unwrap(),
    ));
    let answer = tokio::spawn(s.app.clone().oneshot(req));
    reading
        .await
        .expect("the body is read once the door has passed");
    blocking(|| s.tapin.revoke_token(&token.stored.id).unwrap());
    release.send(()).unwrap();
    let res = answer.await.unwrap().unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        blocking(|| s.tapin.show_pass(&Actor::Operator, ADA)).is_err(),
        "no pass was issued with the revoked token"
    );
}
