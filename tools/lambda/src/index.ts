export const packageName = '@wukong/lambda';
