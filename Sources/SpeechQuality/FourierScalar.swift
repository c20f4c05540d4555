// The number types the transforms run in, and their storage. Double for patches, whose alignment
// feeds the score directly; Float for whole streams, where half the bytes and twice the SIMD lanes
// halve the cost of transforms too large for the caches (Alignment re-scores the candidates in Double).

/// One value or SIMD lanes of values, loaded from and stored to consecutive memory: the butterflies
/// are written once for both.
protocol FourierLanes {
    associatedtype Element
    init(repeating value: Element)
    static func load(_ pointer: UnsafeMutablePointer<Element>) -> Self
    /// pointer[0], pointer[stride], pointer[2·stride], …
    static func gather(_ pointer: UnsafeMutablePointer<Element>, stride: Int) -> Self
    func store(to pointer: UnsafeMutablePointer<Element>)
    /// Lane l of a, b, c, d to pointer[4l], pointer[4l + 1], pointer[4l + 2], pointer[4l + 3].
    static func storeInterleaved(_ a: Self, _ b: Self, _ c: Self, _ d: Self, to pointer: UnsafeMutablePointer<Element>)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func * (a: Element, b: Self) -> Self
}

protocol FourierScalar: BinaryFloatingPoint, SIMDScalar, Codable, FourierLanes, Sendable where Element == Self {
    /// As many values as fill one SSE register twice (two independent chains per instruction stream).
    associatedtype Lanes: FourierLanes where Lanes.Element == Self
    static var laneCount: Int { get }
}

extension Double: FourierScalar {
    typealias Lanes = FourierVector<SIMD4<Double>>
    static var laneCount: Int { 4 }
}

extension Float: FourierScalar {
    typealias Lanes = FourierVector<SIMD8<Float>>
    static var laneCount: Int { 8 }
}

extension FourierScalar {
    @inline(__always) init(repeating value: Self) { self = value }
    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Self>) -> Self { pointer.pointee }
    @inline(__always) static func gather(_ pointer: UnsafeMutablePointer<Self>, stride: Int) -> Self { pointer.pointee }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Self>) { pointer.pointee = self }
    @inline(__always) static func storeInterleaved(_ a: Self, _ b: Self, _ c: Self, _ d: Self, to pointer: UnsafeMutablePointer<Self>) {
        pointer[0] = a
        pointer[1] = b
        pointer[2] = c
        pointer[3] = d
    }
}

extension SIMD {
    @inline(__always) static func load(_ pointer: UnsafePointer<Scalar>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Scalar>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    @inline(__always) func store(to pointer: UnsafeMutablePointer<Scalar>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }
}

/// SIMD lanes for the transforms. A wrapper rather than a conformance of the SIMD types themselves:
/// conforming SIMD8<Float> to FourierLanes changes how other code's SIMD8<Float> arithmetic is
/// compiled (the gammatone filters ran half as fast).
struct FourierVector<Vector: SIMD>: FourierLanes where Vector.Scalar: FloatingPoint {
    var vector: Vector

    @inline(__always) init(_ vector: Vector) { self.vector = vector }
    @inline(__always) init(repeating value: Vector.Scalar) { vector = Vector(repeating: value) }
    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Vector.Scalar>) -> Self { Self(Vector.load(pointer)) }
    @inline(__always) static func gather(_ pointer: UnsafeMutablePointer<Vector.Scalar>, stride: Int) -> Self {
        var vector = Vector()
        for lane in vector.indices { vector[lane] = pointer[lane * stride] }
        return Self(vector)
    }
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Vector.Scalar>) { vector.store(to: pointer) }
    @inline(__always) static func storeInterleaved(_ a: Self, _ b: Self, _ c: Self, _ d: Self, to pointer: UnsafeMutablePointer<Vector.Scalar>) {
        for lane in a.vector.indices {
            pointer[4 * lane] = a.vector[lane]
            pointer[4 * lane + 1] = b.vector[lane]
            pointer[4 * lane + 2] = c.vector[lane]
            pointer[4 * lane + 3] = d.vector[lane]
        }
    }
    @inline(__always) static func + (a: Self, b: Self) -> Self { Self(a.vector + b.vector) }
    @inline(__always) static func - (a: Self, b: Self) -> Self { Self(a.vector - b.vector) }
    @inline(__always) static func * (a: Self, b: Self) -> Self { Self(a.vector * b.vector) }
    @inline(__always) static func * (a: Vector.Scalar, b: Self) -> Self { Self(a * b.vector) }
}

/// Zeroed split real/imaginary storage for the transforms, freed with its owner.
final class SplitComplexBuffer<Scalar: FourierScalar> {
    let count: Int
    let real: UnsafeMutablePointer<Scalar>
    let imaginary: UnsafeMutablePointer<Scalar>

    init(count: Int) {
        self.count = count
        real = LargeMemory.allocate(count, of: Scalar.self)
        imaginary = LargeMemory.allocate(count, of: Scalar.self)
        real.initialize(repeating: 0, count: max(count, 1))
        imaginary.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        LargeMemory.free(real)
        LargeMemory.free(imaginary)
    }
}
