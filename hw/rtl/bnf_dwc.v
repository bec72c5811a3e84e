// bnnforge: stream width converter between ops folded with different parallelism (a
// producer writing IN_E elements per word, a consumer reading OUT_E). Elements keep their
// order, and the converter streams at the rate of its wider side. Three structures:
// - split (OUT_E divides IN_E): a register of one input word shifts out OUT_E elements a
//   cycle, and the next word loads in the cycle its last part leaves: one LUT a bit;
// - gather (IN_E divides OUT_E): parts fill registers at fixed places, and the last part goes
//   with them into the output register, which waits there while the next word's parts fill:
//   no LUT on the data;
// - otherwise: a buffer of IN_E + OUT_E elements lets a word enter and a word leave in the
//   same cycle, each word placed at the buffer's fill level (a shifter).
// The first output word leaves ceil(OUT_E / IN_E) cycles after the first input word.
`default_nettype none

module bnf_dwc #(
    parameter integer EB = 1,             // bits per element
    parameter integer IN_E = 4,           // elements per input word
    parameter integer OUT_E = 2,          // elements per output word
    parameter integer IN_TW = ((IN_E * EB + 7) / 8) * 8,
    parameter integer OUT_TW = ((OUT_E * EB + 7) / 8) * 8
) (
    input  wire              ap_clk,
    input  wire              ap_rst_n,
    input  wire [IN_TW-1:0]  in0_V_TDATA,
    input  wire              in0_V_TVALID,
    output wire              in0_V_TREADY,
    output wire [OUT_TW-1:0] out0_V_TDATA,
    output wire              out0_V_TVALID,
    input  wire              out0_V_TREADY
);
    localparam integer SPLIT = (IN_E > OUT_E && IN_E % OUT_E == 0) ? 1 : 0;
    localparam integer GATHER = (OUT_E > IN_E && OUT_E % IN_E == 0) ? 1 : 0;
    localparam integer IW = IN_E * EB, OW = OUT_E * EB;
    generate
        if (SPLIT != 0) begin : g_split
            localparam integer K = IN_E / OUT_E;              // parts per input word
            localparam integer LW = $clog2(K + 1);
            localparam [31:0] K_32 = K;
            localparam [LW-1:0] PARTS = K_32[LW-1:0];
            reg [IW-1:0] word;
            reg [LW-1:0] left;                                // parts of `word` not yet sent
            wire pop = (left != {LW{1'b0}}) && out0_V_TREADY;
            assign in0_V_TREADY = (left == {LW{1'b0}}) || (left == {{(LW-1){1'b0}}, 1'b1} && out0_V_TREADY);
            wire push = in0_V_TVALID && in0_V_TREADY;
            always @(posedge ap_clk) begin
                if (!ap_rst_n) left <= {LW{1'b0}};
                else if (push) left <= PARTS;
                else if (pop) left <= left - 1'b1;
                if (push) word <= in0_V_TDATA[IW-1:0];
                else if (pop) word <= word >> OW;
            end
            assign out0_V_TDATA = {{(OUT_TW - OW){1'b0}}, word[OW-1:0]};
            assign out0_V_TVALID = (left != {LW{1'b0}});
        end else if (GATHER != 0) begin : g_gather
            localparam integer K = OUT_E / IN_E;              // parts per output word
            localparam integer PW = $clog2(K);
            localparam [31:0] K_M1 = K - 1;
            localparam [PW-1:0] LAST = K_M1[PW-1:0];
            reg [OW-IW-1:0] parts;                            // the first K-1 parts
            reg [PW-1:0] n;                                   // parts in
            reg [OW-1:0] out_word;
            reg out_valid;
            wire last = (n == LAST);
            assign in0_V_TREADY = !last || !out_valid || out0_V_TREADY;
            wire push = in0_V_TVALID && in0_V_TREADY;
            integer j;
            always @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    n <= {PW{1'b0}};
                    out_valid <= 1'b0;
                end else begin
                    if (push) n <= last ? {PW{1'b0}} : n + 1'b1;
                    if (push && last) out_valid <= 1'b1;
                    else if (out0_V_TREADY) out_valid <= 1'b0;
                end
                for (j = 0; j < K - 1; j = j + 1)
                    if (push && n == j[PW-1:0]) parts[j*IW +: IW] <= in0_V_TDATA[IW-1:0];
                if (push && last) out_word <= {in0_V_TDATA[IW-1:0], parts};
            end
            assign out0_V_TDATA = {{(OUT_TW - OW){1'b0}}, out_word};
            assign out0_V_TVALID = out_valid;
        end else begin : g_general
            localparam integer CAP = IN_E + OUT_E;            // elements the buffer holds
            localparam integer CW = $clog2(CAP + 1);
            localparam [31:0] IN_32 = IN_E, OUT_32 = OUT_E, CAP_32 = CAP;
            localparam [CW-1:0] N_IN = IN_32[CW-1:0], N_OUT = OUT_32[CW-1:0], N_CAP = CAP_32[CW-1:0];

            reg [CAP*EB-1:0] buffer;                          // element 0 leaves first
            reg [CW-1:0] count;

            wire out_valid = (count >= N_OUT);
            wire pop = out_valid && out0_V_TREADY;
            wire [CW-1:0] kept = pop ? count - N_OUT : count;
            assign in0_V_TREADY = (kept <= N_CAP - N_IN);
            wire push = in0_V_TVALID && in0_V_TREADY;

            wire [CAP*EB-1:0] shifted = pop ? buffer >> OW : buffer;
            wire [CAP*EB-1:0] incoming = {{((CAP - IN_E) * EB){1'b0}}, in0_V_TDATA[IW-1:0]};

            always @(posedge ap_clk) begin
                // elements above `count` stay zero, so an incoming word is ORed into place
                if (!ap_rst_n) begin
                    count <= {CW{1'b0}};
                    buffer <= {(CAP*EB){1'b0}};
                end else begin
                    count <= kept + (push ? N_IN : {CW{1'b0}});
                    buffer <= push ? shifted | (incoming << (kept * EB)) : shifted;
                end
            end

            assign out0_V_TDATA = {{(OUT_TW - OW){1'b0}}, buffer[OW-1:0]};
            assign out0_V_TVALID = out_valid;
        end
    endgenerate

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
