/// Cascade's version, printed by `cascade --version`. The one place it is written; raise it with
/// each release.
public enum CascadeVersion {
    public static let string = "0.1.0"
}
