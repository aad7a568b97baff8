module.exports = require("./lazyModule")("typescript");
