/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seedable generator with a 64-bit state.
///
/// Used wherever Cascade makes a random choice — ties between simultaneous events, virtual
/// cohorts, generated test networks — so results depend only on the seed, on every platform
/// (the standard library's generator cannot be seeded).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
