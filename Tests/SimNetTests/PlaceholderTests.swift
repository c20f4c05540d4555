import Testing
@testable import SimNet
