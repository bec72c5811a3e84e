// bnnforge: stream width converter between ops folded with different parallelism (a
// producer writing IN_E elements per word, a consumer reading OUT_E). Elements keep their
// order; a buffer of IN_E + OUT_E elements lets a word enter and a word leave in the same
// cycle, so the converter streams at the rate of its wider side.
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
    localparam integer CAP = IN_E + OUT_E;                   // elements the buffer holds
    localparam integer CW = $clog2(CAP + 1);
    localparam [31:0] IN_32 = IN_E, OUT_32 = OUT_E, CAP_32 = CAP;
    localparam [CW-1:0] N_IN = IN_32[CW-1:0], N_OUT = OUT_32[CW-1:0], N_CAP = CAP_32[CW-1:0];

    reg [CAP*EB-1:0] buffer;                                 // element 0 leaves first
    reg [CW-1:0] count;

    wire out_valid = (count >= N_OUT);
    wire pop = out_valid && out0_V_TREADY;
    wire [CW-1:0] kept = pop ? count - N_OUT : count;
    assign in0_V_TREADY = (kept <= N_CAP - N_IN);
    wire push = in0_V_TVALID && in0_V_TREADY;

    wire [CAP*EB-1:0] shifted = pop ? buffer >> (OUT_E * EB) : buffer;
    wire [CAP*EB-1:0] incoming = {{((CAP - IN_E) * EB){1'b0}}, in0_V_TDATA[IN_E*EB-1:0]};

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

    assign out0_V_TDATA = {{(OUT_TW - OUT_E*EB){1'b0}}, buffer[OUT_E*EB-1:0]};
    assign out0_V_TVALID = out_valid;

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
