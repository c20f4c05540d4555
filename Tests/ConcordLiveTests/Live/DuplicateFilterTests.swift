@testable import ConcordLive
import Testing

struct DuplicateFilterTests {
    @Test func exactCopiesAreDuplicatesAndAnyChangedByteIsNot() {
        var filter = DuplicateFilter(capacity: 4)
        let answers = [[1, 4, 0x80, 1, 9], [1, 4, 0x80, 1, 9], [1, 4, 0x80, 1, 8]].map { filter.isDuplicate($0) }
        #expect(answers == [false, true, false])
        #expect(filter.duplicates == 1)
    }

    @Test func onlyTheLastCapacityDatagramsAreRemembered() {
        var filter = DuplicateFilter(capacity: 3)
        let first = (0..<5 as Range<UInt8>).map { filter.isDuplicate([$0]) }
        #expect(first == [false, false, false, false, false])
        let again = [[0], [4], [0]].map { filter.isDuplicate($0) }  // 0 was forgotten, then remembered again
        #expect(again == [false, true, true])
    }
}
