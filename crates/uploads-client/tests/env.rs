//! `ClientConfig::from_env` reads the process's variables. One test in its own binary: it sets
//! variables, which no other thread may read meanwhile.
// Setting variables is `unsafe` since edition 2024; with one test in the binary it is sound.
#![allow(unsafe_code)]

use uploads_client::ClientConfig;

#[test]
fn from_env_reads_the_process_environment() {
    // SAFETY: this binary has no other test, so no other thread reads the environment.
    unsafe {
        std::env::set_var("OPENAI_API_KEY", "sk-from-env");
        std::env::set_var("OPENAI_BASE_URL", "https://env.example.test/v1");
        std::env::set_var("OPENAI_ORG_ID", "org-env");
        std::env::remove_var("OPENAI_PROJECT_ID");
    }
    let cfg = ClientConfig::from_env();
    assert_eq!(cfg.api_key.as_ref().unwrap().expose(), "sk-from-env");
    assert_eq!(cfg.base_url, "https://env.example.test/v1");
    assert_eq!(cfg.organization.as_deref(), Some("org-env"));
    assert_eq!(cfg.project, None);
}
