//! What a request is, read once from its method and path: the faults and counters treat
//! parts and completes apart from the rest.

/// What a request is, for the faults and counters that treat parts and completes apart:
/// read once from its method and path, before the router sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `POST /uploads/{id}/parts`.
    Part,
    /// `POST /uploads/{id}/complete`.
    Complete,
    /// A create after the upload: `POST /batches`, `/vector_stores`,
    /// `/vector_stores/{id}/file_batches`, `/fine_tuning/jobs`.
    Create,
    /// Anything else: the router decides.
    Other,
}

impl Operation {
    pub(crate) fn of(method: &hyper::Method, path: &str) -> Self {
        if method != hyper::Method::POST {
            return Self::Other;
        }
        let path = path.trim_end_matches('/');
        let mut segments = path.rsplit('/');
        match (segments.next(), segments.nth(1)) {
            (Some("parts"), Some("uploads")) => Self::Part,
            (Some("complete"), Some("uploads")) => Self::Complete,
            _ => match path
                .strip_prefix("/v1")
                .unwrap_or(path)
                .split('/')
                .collect::<Vec<_>>()[..]
            {
                ["", "batches"] | ["", "vector_stores"] | ["", "fine_tuning", "jobs"] => {
                    Self::Create
                }
                ["", "vector_stores", _, "file_batches"] => Self::Create,
                _ => Self::Other,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Operation;
    use hyper::Method;

    #[test]
    fn parts_and_completes_are_told_from_their_method_and_path() {
        let post = Method::POST;
        assert_eq!(
            Operation::of(&post, "/v1/uploads/upload_1/parts"),
            Operation::Part
        );
        assert_eq!(
            Operation::of(&post, "/v1/uploads/upload_1/complete"),
            Operation::Complete
        );
        assert_eq!(
            Operation::of(&post, "/v1/uploads/upload_1/complete/"),
            Operation::Complete
        );
        assert_eq!(
            Operation::of(&Method::GET, "/v1/uploads/u/parts"),
            Operation::Other
        );
        assert_eq!(
            Operation::of(&post, "/v1/uploads/u/cancel"),
            Operation::Other
        );
        assert_eq!(Operation::of(&post, "/v1/uploads"), Operation::Other);
        for create in [
            "/v1/batches",
            "/v1/vector_stores",
            "/v1/vector_stores/vs_1/file_batches",
            "/v1/fine_tuning/jobs/",
        ] {
            assert_eq!(Operation::of(&post, create), Operation::Create, "{create}");
        }
        assert_eq!(Operation::of(&Method::GET, "/v1/batches"), Operation::Other);
        assert_eq!(
            Operation::of(&post, "/v1/batches/b/cancel"),
            Operation::Other
        );
        assert_eq!(
            Operation::of(&post, "/v1/vector_stores/vs_1/file_batches/b/cancel"),
            Operation::Other
        );
        // Only an upload's parts: a path that merely ends so is not one.
        assert_eq!(Operation::of(&post, "/v1/files/parts"), Operation::Other);
        assert_eq!(Operation::of(&post, "/parts"), Operation::Other);
    }
}
