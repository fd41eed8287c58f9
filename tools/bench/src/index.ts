export const packageName = '@wukong/bench';
