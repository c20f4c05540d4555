// Evaluates Google's deep-lattice ViSQOL speech model (a TensorFlow Lite graph) without TensorFlow.
//
// The .tflite file is read at run time with a small FlatBuffers reader and its graph is evaluated op by
// op in Float32, the precision the TFLite reference kernels use. The graph is the compiled form of a
// TensorFlow Lattice ensemble: per-feature piecewise-linear calibrators (keypoint differences, clamps and
// a matrix product), sixty 12-input multilinear lattices (built from outer products via MUL/BATCH_MATMUL
// and a dot product with the lattice's vertex weights), a linear combination and an output calibrator.
// It needs only the sixteen elementary ops listed in `Operation`; anything else in a model is refused
// when the model is loaded, not when it is run.

import Foundation

public struct LatticeModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

struct LatticeModel: Sendable {
    /// A tensor's value. Integer and boolean tensors are held as Float too: the graph only uses them
    /// for shapes, axes and 0/1 masks, all far below 2^24 where Float is exact.
    struct Value: Sendable {
        var shape: [Int]
        var data: [Float]
    }

    enum Activation: Sendable {
        case none, relu, reluN1To1, relu6

        init(code: Int8) throws {
            switch code {
            case 0: self = .none
            case 1: self = .relu
            case 2: self = .reluN1To1
            case 3: self = .relu6
            default: throw LatticeModelError(description: "fused activation \(code) is not supported")
            }
        }

        func apply(_ x: Float) -> Float {
            switch self {
            case .none: return x
            case .relu: return max(0, x)
            case .reluN1To1: return min(1, max(-1, x))
            case .relu6: return min(6, max(0, x))
            }
        }
    }

    enum Operation: Sendable {
        case add(Activation), sub(Activation), mul(Activation), minimum
        case equal, cast(toInteger: Bool), abs, relu
        case expandDims, reshape(newShape: [Int]?), shape, fill
        case concatenation(axis: Int, Activation)
        case split(count: Int)
        case fullyConnected(Activation)
        case batchMatMul(adjointX: Bool, adjointY: Bool)
    }

    struct Node: Sendable {
        let operation: Operation
        let inputs: [Int]
        let outputs: [Int]
    }

    let tensorCount: Int
    let constants: [Int: Value]
    let nodes: [Node]
    /// Signature input name → tensor index (e.g. "fvnsim0", "tau").
    let inputs: [String: Int]
    let outputIndex: Int

    /// The model shipped with this library: Google's `lattice_tcditugenmeetpackhref_ls2_nl60_lr12_bs2048_learn.005_ep2400_train1_7_raw.tflite`
    /// (Apache-2.0, see Resources/NOTICE).
    static func bundled() throws -> LatticeModel {
        guard let url = Bundle.module.url(forResource: "visqol_speech_lattice", withExtension: "tflite") else {
            throw LatticeModelError(description: "the bundled lattice model visqol_speech_lattice.tflite is missing from the SpeechQuality resources")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LatticeModelError(description: "cannot read the lattice model at \(url.path): \(error)")
        }
        return try LatticeModel(bytes: [UInt8](data))
    }

    init(bytes: [UInt8]) throws {
        let buffer = FlatBuffer(bytes: bytes)
        do {
            let model = try buffer.root()
            let opcodes: [Int32] = try model.tables(1).map { code in
                max(Int32(try code.int8(0)), try code.int32(3))
            }
            let buffers = try model.tables(4)
            let subgraphs = try model.tables(2)
            guard subgraphs.count == 1 else {
                throw LatticeModelError(description: "the model has \(subgraphs.count) subgraphs; one is expected")
            }
            let graph = subgraphs[0]
            let tensors = try graph.tables(0)
            tensorCount = tensors.count

            var constants: [Int: Value] = [:]
            for (index, tensor) in tensors.enumerated() {
                let bufferIndex = Int(try tensor.uint32(2))
                guard bufferIndex > 0, bufferIndex < buffers.count else { continue }
                let range = try buffers[bufferIndex].byteRange(0)
                guard !range.isEmpty else { continue }
                let shape = try tensor.int32s(0).map { Int($0) }
                let type = try tensor.int8(1)
                let values: [Float]
                switch type {
                case 0:  // FLOAT32
                    values = stride(from: range.lowerBound, to: range.upperBound - 3, by: 4).map { at in
                        Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
                    }
                case 2:  // INT32
                    values = stride(from: range.lowerBound, to: range.upperBound - 3, by: 4).map { at in
                        Float(Int32(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24))
                    }
                default:
                    throw LatticeModelError(description: "constant tensor \(index) has element type \(type); only float32 and int32 are supported")
                }
                guard let elementCount = Self.elementCount(shape), values.count == elementCount else {
                    throw LatticeModelError(description: "constant tensor \(index) holds \(values.count) values for shape \(shape)")
                }
                constants[index] = Value(shape: shape, data: values)
            }
            self.constants = constants

            var nodes: [Node] = []
            for (position, op) in try graph.tables(3).enumerated() {
                let opcodeIndex = Int(try op.uint32(0))
                guard opcodeIndex < opcodes.count else {
                    throw LatticeModelError(description: "operator \(position) names opcode \(opcodeIndex) of \(opcodes.count)")
                }
                let options = try op.table(4)
                func activation(_ field: Int) throws -> Activation {
                    try Activation(code: options?.int8(field) ?? 0)
                }
                let operation: Operation
                switch opcodes[opcodeIndex] {
                case 0: operation = .add(try activation(0))
                case 41: operation = .sub(try activation(0))
                case 18: operation = .mul(try activation(0))
                case 57: operation = .minimum
                case 71: operation = .equal
                case 53:
                    let castOutput = Int(try op.int32s(2).first ?? -1)
                    guard castOutput >= 0, castOutput < tensors.count else {
                        throw LatticeModelError(description: "operator \(position) (CAST) has no valid output tensor")
                    }
                    let outputType = try tensors[castOutput].int8(1)
                    operation = .cast(toInteger: outputType == 2 || outputType == 4)
                case 101: operation = .abs
                case 19: operation = .relu
                case 70: operation = .expandDims
                case 22:
                    let shape = try options?.int32s(0).map { Int($0) }
                    operation = .reshape(newShape: (shape?.isEmpty ?? true) ? nil : shape)
                case 77: operation = .shape
                case 94: operation = .fill
                case 2: operation = .concatenation(axis: Int(try options?.int32(0) ?? 0), try activation(1))
                case 49: operation = .split(count: Int(try options?.int32(0) ?? 1))
                case 9: operation = .fullyConnected(try activation(0))
                case 126: operation = .batchMatMul(adjointX: try options?.bool(0) ?? false, adjointY: try options?.bool(1) ?? false)
                case let code:
                    throw LatticeModelError(description: "operator \(position) is TFLite builtin \(code), which this evaluator does not implement")
                }
                let inputs = try op.int32s(1).map { Int($0) }
                let outputs = try op.int32s(2).map { Int($0) }
                guard (inputs + outputs).allSatisfy({ $0 >= -1 && $0 < tensors.count }), outputs.allSatisfy({ $0 >= 0 }) else {
                    throw LatticeModelError(description: "operator \(position) names a tensor past the \(tensors.count) in the graph")
                }
                nodes.append(Node(operation: operation, inputs: inputs, outputs: outputs))
            }
            self.nodes = nodes

            guard let signature = try model.tables(7).first else {
                throw LatticeModelError(description: "the model has no signature naming its inputs")
            }
            var inputs: [String: Int] = [:]
            for map in try signature.tables(0) {
                guard let name = try map.string(0) else { continue }
                inputs[name] = Int(try map.uint32(1))
            }
            self.inputs = inputs
            guard let output = try signature.tables(1).first else {
                throw LatticeModelError(description: "the model's signature has no output")
            }
            outputIndex = Int(try output.uint32(1))
            guard outputIndex < tensorCount, inputs.values.allSatisfy({ $0 < tensorCount }) else {
                throw LatticeModelError(description: "the model's signature names a tensor past the \(tensorCount) in the graph")
            }
        } catch let error as FlatBufferError {
            throw LatticeModelError(description: "the lattice model is not a readable TFLite file: \(error.description)")
        }
    }

    /// The number of elements of `shape`, or nil for a negative dimension or an absurd total.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 1 << 26 else { return nil }
            count = product
        }
        return count
    }

    /// Runs the graph on named scalar inputs and returns its single scalar output.
    func predict(_ features: [String: Float]) throws -> Float {
        var values = [Value?](repeating: nil, count: tensorCount)
        for (index, value) in constants { values[index] = value }
        for (name, index) in inputs {
            guard let feature = features[name] else {
                throw LatticeModelError(description: "the model input \(name) was not given")
            }
            values[index] = Value(shape: [1], data: [feature])
        }
        for (position, node) in nodes.enumerated() {
            var arguments: [Value?] = []
            for index in node.inputs {
                if index < 0 { arguments.append(nil); continue }
                guard let value = values[index] else {
                    throw LatticeModelError(description: "operator \(position) reads tensor \(index) before it is computed")
                }
                arguments.append(value)
            }
            let results = try Self.evaluate(node.operation, arguments, outputCount: node.outputs.count, position: position)
            for (index, result) in zip(node.outputs, results) { values[index] = result }
        }
        guard let output = values[outputIndex], output.data.count == 1 else {
            throw LatticeModelError(description: "the model did not produce a single output value")
        }
        return output.data[0]
    }

    // MARK: - Kernels

    private static func evaluate(_ operation: Operation, _ arguments: [Value?], outputCount: Int, position: Int) throws -> [Value] {
        func argument(_ index: Int) throws -> Value {
            guard index < arguments.count, let value = arguments[index] else {
                throw LatticeModelError(description: "operator \(position) is missing input \(index)")
            }
            return value
        }
        switch operation {
        case .add(let activation): return [try broadcast(try argument(0), try argument(1)) { activation.apply($0 + $1) }]
        case .sub(let activation): return [try broadcast(try argument(0), try argument(1)) { activation.apply($0 - $1) }]
        case .mul(let activation): return [try broadcast(try argument(0), try argument(1)) { activation.apply($0 * $1) }]
        case .minimum: return [try broadcast(try argument(0), try argument(1)) { Swift.min($0, $1) }]
        case .equal: return [try broadcast(try argument(0), try argument(1)) { $0 == $1 ? 1 : 0 }]
        case .cast(let toInteger):
            var value = try argument(0)
            if toInteger { value.data = value.data.map { $0.rounded(.towardZero) } }
            return [value]
        case .abs:
            var value = try argument(0)
            value.data = value.data.map { Swift.abs($0) }
            return [value]
        case .relu:
            var value = try argument(0)
            value.data = value.data.map { Swift.max(0, $0) }
            return [value]
        case .expandDims:
            var value = try argument(0)
            let axisValue = try argument(1)
            guard let rawAxis = axisValue.data.first else { throw LatticeModelError(description: "operator \(position): EXPAND_DIMS without an axis") }
            var axis = Int(rawAxis)
            if axis < 0 { axis += value.shape.count + 1 }
            guard axis >= 0, axis <= value.shape.count else { throw LatticeModelError(description: "operator \(position): EXPAND_DIMS axis \(axis) out of range") }
            value.shape.insert(1, at: axis)
            return [value]
        case .reshape(let optionShape):
            var value = try argument(0)
            var target: [Int]
            if arguments.count > 1, let shapeTensor = arguments[1] {
                target = shapeTensor.data.map { Int($0) }
            } else if let optionShape {
                target = optionShape
            } else {
                throw LatticeModelError(description: "operator \(position): RESHAPE without a shape")
            }
            if let unknown = target.firstIndex(of: -1) {
                let known = target.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
                guard known > 0 else { throw LatticeModelError(description: "operator \(position): RESHAPE to \(target)") }
                target[unknown] = value.data.count / known
            }
            guard elementCount(target) == value.data.count else {
                throw LatticeModelError(description: "operator \(position): RESHAPE of \(value.data.count) values to \(target)")
            }
            value.shape = target
            return [value]
        case .shape:
            let value = try argument(0)
            return [Value(shape: [value.shape.count], data: value.shape.map { Float($0) })]
        case .fill:
            let dims = try argument(0).data.map { Int($0) }
            guard let fill = try argument(1).data.first, let count = elementCount(dims) else {
                throw LatticeModelError(description: "operator \(position): FILL with dims \(try argument(0).data)")
            }
            return [Value(shape: dims, data: [Float](repeating: fill, count: count))]
        case .concatenation(let rawAxis, let activation):
            let parts = try (0..<arguments.count).map { try argument($0) }
            guard let first = parts.first else { throw LatticeModelError(description: "operator \(position): empty CONCATENATION") }
            let rank = first.shape.count
            let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
            guard axis >= 0, axis < rank,
                  parts.allSatisfy({ part in part.shape.count == rank && (0..<rank).allSatisfy { $0 == axis || part.shape[$0] == first.shape[$0] } }),
                  parts.allSatisfy({ elementCount($0.shape) == $0.data.count })
            else {
                throw LatticeModelError(description: "operator \(position): CONCATENATION axis \(rawAxis) for rank \(rank)")
            }
            let outer = first.shape[..<axis].reduce(1, *)
            var shape = first.shape
            shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
            var data: [Float] = []
            data.reserveCapacity(shape.reduce(1, *))
            for o in 0..<outer {
                for part in parts {
                    let chunk = part.shape[axis...].reduce(1, *)
                    data.append(contentsOf: part.data[(o * chunk)..<((o + 1) * chunk)].map(activation.apply))
                }
            }
            guard data.count == shape.reduce(1, *) else { throw LatticeModelError(description: "operator \(position): CONCATENATION of mismatched shapes") }
            return [Value(shape: shape, data: data)]
        case .split(let count):
            guard let rawAxis = try argument(0).data.first else { throw LatticeModelError(description: "operator \(position): SPLIT without an axis") }
            let value = try argument(1)
            let rank = value.shape.count
            var axis = Int(rawAxis)
            if axis < 0 { axis += rank }
            guard axis >= 0, axis < rank, count > 0, value.shape[axis] % count == 0, count == outputCount else {
                throw LatticeModelError(description: "operator \(position): SPLIT of shape \(value.shape) into \(count) along \(axis)")
            }
            let outer = value.shape[..<axis].reduce(1, *)
            let inner = value.shape[(axis + 1)...].reduce(1, *)
            let width = value.shape[axis] / count
            var shape = value.shape
            shape[axis] = width
            return (0..<count).map { part in
                var data: [Float] = []
                for o in 0..<outer {
                    let start = (o * value.shape[axis] + part * width) * inner
                    data.append(contentsOf: value.data[start..<(start + width * inner)])
                }
                return Value(shape: shape, data: data)
            }
        case .fullyConnected(let activation):
            let input = try argument(0)
            let weights = try argument(1)
            guard weights.shape.count == 2, let depth = weights.shape.last, depth > 0, input.data.count % depth == 0 else {
                throw LatticeModelError(description: "operator \(position): FULLY_CONNECTED of \(input.shape) by \(weights.shape)")
            }
            let units = weights.shape[0]
            let batch = input.data.count / depth
            let bias = arguments.count > 2 ? arguments[2] : nil
            guard weights.data.count == units * depth, bias.map({ $0.data.count == units }) ?? true else {
                throw LatticeModelError(description: "operator \(position): FULLY_CONNECTED weights or bias of the wrong size")
            }
            var data = [Float](repeating: 0, count: batch * units)
            for b in 0..<batch {
                for u in 0..<units {
                    var sum: Float = 0
                    for k in 0..<depth { sum += input.data[b * depth + k] * weights.data[u * depth + k] }
                    if let bias { sum += bias.data[u] }
                    data[b * units + u] = activation.apply(sum)
                }
            }
            return [Value(shape: [batch, units], data: data)]
        case .batchMatMul(let adjointX, let adjointY):
            let x = try argument(0)
            let y = try argument(1)
            guard x.shape.count >= 2, x.shape.count == y.shape.count else {
                throw LatticeModelError(description: "operator \(position): BATCH_MATMUL of \(x.shape) by \(y.shape)")
            }
            let rank = x.shape.count
            let rows = adjointX ? x.shape[rank - 1] : x.shape[rank - 2]
            let depth = adjointX ? x.shape[rank - 2] : x.shape[rank - 1]
            let depthY = adjointY ? y.shape[rank - 1] : y.shape[rank - 2]
            let columns = adjointY ? y.shape[rank - 2] : y.shape[rank - 1]
            let batchX = x.shape[..<(rank - 2)].reduce(1, *)
            let batchY = y.shape[..<(rank - 2)].reduce(1, *)
            guard depth == depthY, batchX == batchY || batchX == 1 || batchY == 1 else {
                throw LatticeModelError(description: "operator \(position): BATCH_MATMUL of \(x.shape) by \(y.shape)")
            }
            guard x.data.count == batchX * rows * depth, y.data.count == batchY * depth * columns else {
                throw LatticeModelError(description: "operator \(position): BATCH_MATMUL operands of the wrong size")
            }
            let batch = Swift.max(batchX, batchY)
            var data = [Float](repeating: 0, count: batch * rows * columns)
            for b in 0..<batch {
                let xBase = (batchX == 1 ? 0 : b) * rows * depth
                let yBase = (batchY == 1 ? 0 : b) * depth * columns
                for i in 0..<rows {
                    for j in 0..<columns {
                        var sum: Float = 0
                        for k in 0..<depth {
                            let xv = adjointX ? x.data[xBase + k * rows + i] : x.data[xBase + i * depth + k]
                            let yv = adjointY ? y.data[yBase + j * depth + k] : y.data[yBase + k * columns + j]
                            sum += xv * yv
                        }
                        data[(b * rows + i) * columns + j] = sum
                    }
                }
            }
            var shape = batchX >= batchY ? Array(x.shape[..<(rank - 2)]) : Array(y.shape[..<(rank - 2)])
            shape += [rows, columns]
            return [Value(shape: shape, data: data)]
        }
    }

    /// Element-wise binary op with NumPy broadcasting.
    private static func broadcast(_ a: Value, _ b: Value, _ combine: (Float, Float) -> Float) throws -> Value {
        let rank = max(a.shape.count, b.shape.count)
        let shapeA = [Int](repeating: 1, count: rank - a.shape.count) + a.shape
        let shapeB = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
        var shape = [Int](repeating: 1, count: rank)
        for d in 0..<rank {
            guard shapeA[d] == shapeB[d] || shapeA[d] == 1 || shapeB[d] == 1 else {
                throw LatticeModelError(description: "cannot broadcast shapes \(a.shape) and \(b.shape)")
            }
            shape[d] = max(shapeA[d], shapeB[d])
        }
        if shapeA == shapeB, a.data.count == b.data.count {
            return Value(shape: shape, data: zip(a.data, b.data).map(combine))
        }
        func strides(_ s: [Int]) -> [Int] {
            var result = [Int](repeating: 0, count: rank)
            var step = 1
            for d in stride(from: rank - 1, through: 0, by: -1) {
                result[d] = s[d] == 1 ? 0 : step
                step *= s[d]
            }
            return result
        }
        let strideA = strides(shapeA)
        let strideB = strides(shapeB)
        guard let count = elementCount(shape), elementCount(a.shape) == a.data.count, elementCount(b.shape) == b.data.count else {
            throw LatticeModelError(description: "operands of shapes \(a.shape) and \(b.shape) do not hold their element counts")
        }
        var data = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for linear in 0..<count {
            var offsetA = 0
            var offsetB = 0
            for d in 0..<rank {
                offsetA += index[d] * strideA[d]
                offsetB += index[d] * strideB[d]
            }
            data[linear] = combine(a.data[offsetA], b.data[offsetB])
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return Value(shape: shape, data: data)
    }
}
