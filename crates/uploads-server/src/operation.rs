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
    /// Anything else: the router decides.
    Other,
}

impl Operation {
    pub(crate) fn of(method: &hyper::Method, path: &str) -> Self {
        if method != hyper::Method::POST {
            return Self::Other;
        }
        let mut segments = path.trim_end_matches('/').rsplit('/');
        match (segments.next(), segments.nth(1)) {
            (Some("parts"), Some("uploads")) => Self::Part,
            (Some("complete"), Some("uploads")) => Self::Complete,
            _ => Self::Other,
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
        // Only an upload's parts: a path that merely ends so is not one.
        assert_eq!(Operation::of(&post, "/v1/files/parts"), Operation::Other);
        assert_eq!(Operation::of(&post, "/parts"), Operation::Other);
    }
}
