import SimNet

/// The SimNet presets a scenario may name, re-exported for the CLI (which does not import SimNet).
public enum PresetCatalog {
    public static var all: [(name: String, summary: String)] { PathConditions.presets.map { ($0.name, $0.summary) } }
}
