// bnnforge: loop-trip counting in C-simulation, the HLS cycle model without Vivado HLS.
//
// BNF_TRIP(CFG, "process") is the first statement of every pipelined loop body of every
// bnf_*.h template (after its `#pragma HLS PIPELINE II = 1`). Under __SYNTHESIS__ it is
// empty, so Vivado/Vitis HLS sees nothing; in C-simulation it adds one to the counter owned
// by (the layer's config struct CFG, the process name).
//
// A process is one sequential piece of code: the loops of one function run one after
// another and add up under one name. Functions that run concurrently under
// `#pragma HLS DATAFLOW` (joined by hls::stream, or by an array HLS turns into a ping-pong
// PIPO buffer between two dataflow processes) are separate processes with their own names.
//
// The model: every pipelined loop has II = 1 (one trip per cycle); the loops of one process
// add; an op's cycles per frame = the maximum over its processes of the trips per frame
// (its processes overlap, and consecutive calls overlap in a DATAFLOW region). Pipeline
// fill and drain at loop entry are not counted, so every process keeps one flat pipelined
// loop per frame where it can (nested loops only as perfect nests HLS flattens); stalls on
// empty or full streams are not trips either. The tests (tests/test_rtl_*.py, *csim*)
// check max(trips per frame) == the op's cycles(), the rate of its RTL.
//
// bnf_trip_report<CFG>(os, "layer") prints one line per process, in the order the
// processes first ran: `TRIP <layer> <process> <trips>` (total trips since the program
// started; sim/csim.py parses them and divides by the frames). Process names have no spaces.
#ifndef BNF_TRIPS_H
#define BNF_TRIPS_H

#ifdef __SYNTHESIS__

#define BNF_TRIP(CFG, process)

#else

#include <cstring>
#include <ostream>
#include <vector>

struct bnf_trip_entry {
    const char *process;
    unsigned long long trips;
};

// the counters of one config struct (one layer), in order of first use
template <class CFG>
std::vector<bnf_trip_entry> &bnf_trip_table() {
    static std::vector<bnf_trip_entry> table;
    return table;
}

template <class CFG>
void bnf_trip_count(const char *process) {
    std::vector<bnf_trip_entry> &table = bnf_trip_table<CFG>();
    for (size_t i = 0; i < table.size(); i++) {
        if (table[i].process == process || std::strcmp(table[i].process, process) == 0) {
            table[i].trips++;
            return;
        }
    }
    bnf_trip_entry entry = {process, 1};
    table.push_back(entry);
}

template <class CFG>
void bnf_trip_report(std::ostream &os, const char *layer) {
    const std::vector<bnf_trip_entry> &table = bnf_trip_table<CFG>();
    for (size_t i = 0; i < table.size(); i++) os << "TRIP " << layer << " " << table[i].process << " " << table[i].trips << "\n";
}

#define BNF_TRIP(CFG, process) bnf_trip_count<CFG>(process)

#endif

#endif
