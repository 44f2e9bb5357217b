use super::*;

#[test]
fn a_letter_that_lower_cases_to_ascii_does_not_make_an_account_name() {
    // U+212A KELVIN SIGN lower-cases to an ASCII k.
    assert_eq!(
        normalize_upn("ada\u{212A}@contoso.com").unwrap_err().code,
        ValidationCode::UpnShape
    );
    assert_eq!(
        normalize_upn(" AdaK@Contoso.com ").unwrap(),
        "adak@contoso.com"
    );
}

#[test]
fn phone_numbers_become_e164_and_bad_ones_say_why() {
    assert_eq!(
        normalize_phone(" +49 (151) 123-456.78 ").unwrap(),
        "+4915112345678"
    );
    assert_eq!(
        normalize_phone("0044 20 7946 0958").unwrap(),
        "+442079460958"
    );
    for bad in [
        "015112345678",
        "+49 151",
        "+1234567890123456",
        "+49 151 12a45678",
        "+0 151 1234567",
    ] {
        assert_eq!(
            normalize_phone(bad).unwrap_err().code,
            ValidationCode::PhoneShape,
            "{bad}"
        );
    }
    assert_eq!(
        normalize_phone("  ").unwrap_err().code,
        ValidationCode::Empty
    );
}

#[test]
fn email_addresses_keep_their_local_part_and_lower_case_the_domain() {
    assert_eq!(
        normalize_email(" Dana.Demo@Example.COM ").unwrap(),
        "Dana.Demo@example.com"
    );
    for bad in [
        "dana",
        "dana@",
        "@example.com",
        "dana@example",
        "da na@example.com",
    ] {
        assert_eq!(
            normalize_email(bad).unwrap_err().code,
            ValidationCode::EmailShape,
            "{bad}"
        );
    }
}

#[test]
fn names_and_codes() {
    assert_eq!(
        normalize_method_name("  Work laptop ").unwrap(),
        "Work laptop"
    );
    assert_eq!(
        normalize_method_name(" ").unwrap_err().code,
        ValidationCode::Empty
    );
    assert_eq!(
        normalize_method_name(&"x".repeat(65)).unwrap_err().code,
        ValidationCode::NameTooLong
    );
    assert_eq!(
        normalize_method_name("a\u{7}b").unwrap_err().code,
        ValidationCode::NameCharacters
    );
    assert_eq!(normalize_code("123 456").unwrap(), "123456");
    assert_eq!(
        normalize_code("12345").unwrap_err().code,
        ValidationCode::CodeShape
    );
    assert_eq!(
        normalize_code("12345a").unwrap_err().code,
        ValidationCode::CodeShape
    );
}

#[test]
fn alphabet_has_32_distinct_symbols_and_no_look_alikes() {
    let mut seen = std::collections::BTreeSet::new();
    for b in PASS_ALPHABET {
        assert!(seen.insert(*b), "duplicate symbol {}", *b as char);
    }
    assert_eq!(seen.len(), 32);
    for look_alike in b"0O1lIL" {
        assert!(!PASS_ALPHABET.contains(look_alike));
    }
}

#[test]
fn pasted_pass_with_spaces_dashes_and_lower_case_is_accepted() {
    assert_eq!(normalize_pass(" abcd-efgh ").unwrap(), "ABCDEFGH");
    assert_eq!(normalize_pass("ab cd\tef–gh").unwrap(), "ABCDEFGH");
}

#[test]
fn pass_with_look_alike_characters_is_refused() {
    let e = normalize_pass("ABCD0FGH").unwrap_err();
    assert_eq!(e.code, ValidationCode::PassCharacters);
}

#[test]
fn pass_length_limits_are_enforced() {
    assert_eq!(
        normalize_pass("ABCDEFG").unwrap_err().code,
        ValidationCode::PassTooShort
    );
    assert_eq!(
        normalize_pass(&"A".repeat(49)).unwrap_err().code,
        ValidationCode::PassTooLong
    );
    assert!(normalize_pass(&"A".repeat(48)).is_ok());
    assert_eq!(
        normalize_pass("  - ").unwrap_err().code,
        ValidationCode::Empty
    );
}

#[test]
fn upn_is_trimmed_and_lower_cased() {
    assert_eq!(
        normalize_upn("  Ada.Lovelace@Contoso.COM ").unwrap(),
        "ada.lovelace@contoso.com"
    );
}

#[test]
fn malformed_upns_are_refused() {
    for bad in [
        "ada",
        "ada@",
        "@contoso.com",
        "ada@contoso",
        "a da@contoso.com",
        "ada@-x.com",
        ".ada@x.com",
        "a..b@x.com",
    ] {
        assert_eq!(
            normalize_upn(bad).unwrap_err().code,
            ValidationCode::UpnShape,
            "{bad}"
        );
    }
    assert_eq!(
        normalize_upn("   ").unwrap_err().code,
        ValidationCode::Empty
    );
    let long = format!("{}@contoso.com", "a".repeat(110));
    assert_eq!(
        normalize_upn(&long).unwrap_err().code,
        ValidationCode::TooLong
    );
}

#[test]
fn lifetimes_outside_ten_minutes_to_thirty_days_are_refused() {
    assert!(validate_lifetime("lifetime", 9).is_err());
    assert!(validate_lifetime("lifetime", 10).is_ok());
    assert!(validate_lifetime("lifetime", 43_200).is_ok());
    assert!(validate_lifetime("lifetime", 43_201).is_err());
    assert!(validate_pass_length(7).is_err());
    assert!(validate_pass_length(48).is_ok());
}

#[test]
fn redirect_addresses_are_https_or_loopback_without_fragments() {
    for ok in [
        "https://wiki.contoso.com/cb",
        "https://wiki.contoso.com:8443/cb?x=1",
        "http://localhost:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:9/cb",
    ] {
        assert_eq!(
            normalize_redirect_uri("redirect_uri", ok).as_deref(),
            Ok(ok),
            "{ok}"
        );
    }
    for bad in [
        "http://wiki.contoso.com/cb",
        "https://wiki.contoso.com/cb#x",
        "https://user@wiki.contoso.com/cb",
        "javascript:alert(1)",
        "/cb",
        "https:///cb",
        "https://wiki contoso/cb",
        "https://wiki.contoso.com:99999/cb",
        "http://localhost.evil.example/cb",
    ] {
        assert!(
            normalize_redirect_uri("redirect_uri", bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn lengths_are_accepted_up_to_their_limit_and_refused_one_past_it() {
    // An account name: 113 characters.
    let upn = |len: usize| format!("{}@{}.com", "a".repeat(64), "b".repeat(len - 64 - 5));
    assert_eq!(normalize_upn(&upn(UPN_MAX_LEN)), Ok(upn(UPN_MAX_LEN)));
    assert_eq!(
        normalize_upn(&upn(UPN_MAX_LEN + 1)).unwrap_err().code,
        ValidationCode::TooLong
    );
    // An email address: 254 characters, in labels of at most 63.
    let email = |len: usize| {
        let mut domain = String::new();
        while 65 + domain.len() + 4 < len {
            let label = (len - 65 - domain.len() - 4).min(63);
            domain.push_str(&"c".repeat(label));
            domain.push('.');
        }
        let address = format!("{}@{domain}org", "a".repeat(64));
        assert_eq!(address.len(), len);
        address
    };
    assert_eq!(normalize_email(&email(254)), Ok(email(254)));
    assert_eq!(
        normalize_email(&email(255)).unwrap_err().code,
        ValidationCode::TooLong
    );
    // A method's name: 64 characters.
    let name = "n".repeat(METHOD_NAME_MAX_LEN);
    assert_eq!(normalize_method_name(&name), Ok(name.clone()));
    assert_eq!(
        normalize_method_name(&format!("{name}n")).unwrap_err().code,
        ValidationCode::NameTooLong
    );
    // A redirect address: 512 characters.
    let uri = |len: usize| format!("https://wiki.contoso.com/{}", "p".repeat(len - 25));
    assert_eq!(
        normalize_redirect_uri("redirect_uri", &uri(REDIRECT_URI_MAX_LEN)),
        Ok(uri(REDIRECT_URI_MAX_LEN))
    );
    assert_eq!(
        normalize_redirect_uri("redirect_uri", &uri(REDIRECT_URI_MAX_LEN + 1))
            .unwrap_err()
            .code,
        ValidationCode::TooLong
    );
}

#[test]
fn a_redirect_host_is_letters_digits_dots_and_dashes_on_a_real_port() {
    for bad in [
        "https://wiki_contoso.com/cb",
        "https://wiki!contoso.com/cb",
        "https://wiki.contoso.com:0/cb",
        "https://wiki.contoso.com:/cb",
        // A user name after a loopback address: the browser would go to evil.example.
        "http://[::1]@evil.example/cb",
    ] {
        assert_eq!(
            normalize_redirect_uri("redirect_uri", bad)
                .unwrap_err()
                .code,
            ValidationCode::RedirectShape,
            "{bad}"
        );
    }
    assert!(normalize_redirect_uri("redirect_uri", "https://wiki.contoso.com:1/cb").is_ok());
}

#[test]
fn policy_lifetimes_keep_the_minimum_below_the_maximum_and_the_default_between() {
    assert_eq!(validate_policy_lifetimes(60, 60, 60), Ok(()));
    assert_eq!(validate_policy_lifetimes(60, 480, 120), Ok(()));
    let refused = |min, max, default| validate_policy_lifetimes(min, max, default).unwrap_err();
    let above = refused(61, 60, 60);
    assert_eq!(
        (above.field, above.code),
        ("max_lifetime_minutes", ValidationCode::MinAboveMax)
    );
    for default in [59, 481] {
        let outside = refused(60, 480, default);
        assert_eq!(
            (outside.field, outside.code),
            ("default_lifetime_minutes", ValidationCode::OutsidePolicy),
            "{default}"
        );
    }
    assert_eq!(refused(9, 60, 60).code, ValidationCode::LifetimeRange);
    // A pass under a policy of 60 to 480 minutes.
    for ok in [60, 61, 479, 480] {
        assert_eq!(validate_issue_lifetime("lifetime", ok, 60, 480), Ok(ok));
    }
    for bad in [59, 481] {
        let e = validate_issue_lifetime("lifetime", bad, 60, 480).unwrap_err();
        assert_eq!(
            (e.field, e.code),
            ("lifetime", ValidationCode::OutsidePolicy)
        );
    }
}

#[test]
fn time_zones_are_iana_names() {
    for ok in [
        "UTC",
        "Europe/Berlin",
        " America/Argentina/Buenos_Aires ",
        "America/Port-au-Prince",
        "Etc/GMT+5",
    ] {
        assert_eq!(normalize_time_zone(ok), Ok(ok.trim().to_string()), "{ok}");
    }
    for bad in [
        "",
        "europe/berlin",
        "Europe//Berlin",
        "Europe/Berlin/",
        "Europe/Ber lin",
        "Europe/Berlin;",
        "../etc/passwd",
        &format!("A{}", "b".repeat(64)),
    ] {
        assert_eq!(
            normalize_time_zone(bad).unwrap_err().code,
            ValidationCode::TimeZoneShape,
            "{bad}"
        );
    }
}
