/// Cascade's version, printed by `cascade --version` and recorded in the outputs that name their
/// generator. The one place it is written; raise it when a release changes a contract in DESIGN.md.
public enum CascadeVersion {
    public static let string = "0.1.0"
}
