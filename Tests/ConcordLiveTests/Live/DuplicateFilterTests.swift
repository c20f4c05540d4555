@testable import ConcordLive
import Testing

struct DuplicateFilterTests {
    @Test func exactCopiesAreDuplicatesAndAnyChangedByteIsNot() {
        var filter = DuplicateFilter(capacity: 4)
        #expect(!filter.isDuplicate([1, 4, 0x80, 1, 9]))
        #expect(filter.isDuplicate([1, 4, 0x80, 1, 9]))
        #expect(!filter.isDuplicate([1, 4, 0x80, 1, 8]))
        #expect(filter.duplicates == 1)
    }

    @Test func onlyTheLastCapacityDatagramsAreRemembered() {
        var filter = DuplicateFilter(capacity: 3)
        for b in 0..<5 as Range<UInt8> { #expect(!filter.isDuplicate([b])) }
        #expect(!filter.isDuplicate([0]))  // forgotten: remembered again
        #expect(filter.isDuplicate([4]))
        #expect(filter.isDuplicate([0]))
    }
}
