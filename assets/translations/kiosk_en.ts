<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>AlnumKeypad</name>
    <message>
        <location filename="../../ui/widgets/alnum_keypad.py" line="+68"/>
        <source>删除</source>
        <translation>Delete</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>清空</source>
        <translation>Clear</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>下一项</source>
        <translation>Next</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>下一项：输入密码</source>
        <translation>Next: enter the password</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>字母数字键盘</source>
        <translation>Letter and digit keypad</translation>
    </message>
</context>
<context>
    <name>ConsentScreen</name>
    <message>
        <location filename="../../ui/screens/consent.py" line="+88"/>
        <source>读取什么</source>
        <translation>What is read</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>身份证芯片中的姓名、证件号码和有效期。不读取证件照片。</source>
        <translation>The name, ID number and validity dates in the ID card chip. The photo is not read.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>做什么用</source>
        <translation>What it is for</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>发送至信用信息平台，核验是您本人在查询。</source>
        <translation>It is sent to the credit information platform to confirm that you are the one asking.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>是否保存</source>
        <translation>Is it kept?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>查询结束后，本机不保存您的任何个人信息。</source>
        <translation>When you finish, this kiosk keeps none of your personal information.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>查询记录</source>
        <translation>Query history</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次查询会记入您信用报告的“查询记录”。</source>
        <translation>This query will be listed under “Query history” in your credit report.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>随时结束</source>
        <translation>Stop at any time</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>取出身份证，即可随时结束查询。</source>
        <translation>Take out your ID card to end the query at any time.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>本机读取身份证上的姓名和号码，只用来核对身份。</source>
        <translation>This kiosk reads the name and number on your ID card, only to check who you are.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>查完不保存您的信息，本次查询会记入您的报告。</source>
        <translation>Your information is not kept afterwards. This query is noted in your report.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>取出身份证，随时可以结束。</source>
        <translation>Take out your ID card to stop at any time.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>查询前请阅读</source>
        <translation>Please read before you start</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>不同意</source>
        <translation>Disagree</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>不同意，结束查询</source>
        <translation>Disagree and finish</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>同意并继续</source>
        <translation>Agree and continue</translation>
    </message>
</context>
<context>
    <name>Dispute</name>
    <message>
        <location filename="../../kiosk/flow/session.py" line="+53"/>
        <source>这条记录不是我的</source>
        <translation>This record is not mine</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>记录的内容（日期、金额、事由）有误</source>
        <translation>The details (date, amount, reason) are wrong</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>我已经履行或整改完毕，记录没有更新</source>
        <translation>I have already complied or put it right, but the record was not updated</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>已过公示期限，记录仍在公示</source>
        <translation>The publication period is over, but the record is still shown</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>其他原因</source>
        <translation>Other reason</translation>
    </message>
</context>
<context>
    <name>DisputePage</name>
    <message>
        <location filename="../../ui/screens/dispute.py" line="+94"/>
        <source>对这条记录提出异议</source>
        <translation>Dispute this record</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>补充说明（可不填）：</source>
        <translation>Your explanation (optional):</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>提交后，信用平台将核查这条记录，核查期间记录标注为“异议处理中”。处理结果以平台通知为准，进度可到服务窗口查询。</source>
        <translation>After you submit, the credit platform will check this record; until then it is marked “Under dispute”. The platform will tell you the result. You can ask about progress at a service counter.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>填写说明</source>
        <translation>Add explanation</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>提交异议</source>
        <translation>Submit dispute</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>（未填写）</source>
        <translation>(none)</translation>
    </message>
</context>
<context>
    <name>DoneScreen</name>
    <message>
        <location filename="../../ui/screens/done.py" line="+57"/>
        <source>请取走您的身份证。取出后，本机将清除您的全部信息。</source>
        <translation>Please take your ID card. Once it is removed, this kiosk erases all your information.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>如需修复信用记录，请到信用修复窗口咨询。</source>
        <translation>For credit repair, please ask at the credit repair counter.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>凭条上的二维码和验证码可供他人核验报告真伪。</source>
        <translation>With the QR code and verification code on the printout, others can check that the report is genuine.</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+1"/>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>请取走凭条</source>
        <translation>Please take your printout</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>查询结束</source>
        <translation>Query finished</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>%1 秒后返回首页</source>
        <translation>Returning to the start page in %1 seconds</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <location filename="../../ui/screens/error.py" line="+41"/>
        <location line="+1"/>
        <source>返回首页</source>
        <translation>Back to start</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>请取出身份证，再重新放到读卡区重试。需要帮助请联系大厅工作人员。</source>
        <translation>Please take out your ID card and place it on the card reader again to retry. For help, please ask the hall staff.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>请取出身份证。需要帮助请联系大厅工作人员。</source>
        <translation>Please take out your ID card. For help, please ask the hall staff.</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <location filename="../../kiosk/errors.py" line="+147"/>
        <source>这张卡不能在本机使用，请联系大厅工作人员。</source>
        <translation>This card cannot be used at this kiosk. Please ask the hall staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+206"/>
        <location line="+80"/>
        <source>证件无法使用</source>
        <translation>ID card cannot be used</translation>
    </message>
    <message>
        <location line="-281"/>
        <source>证件已挂失</source>
        <translation>ID card reported lost</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>这张证件已挂失，不能用于查询。请到服务窗口办理。</source>
        <translation>This ID card has been reported lost and cannot be used for a query. Please go to a service counter.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>本机暂不能读取身份证</source>
        <translation>This kiosk cannot read ID cards now</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本机的身份证阅读器暂未获准使用，请到服务窗口办理或联系工作人员。</source>
        <translation>This kiosk&apos;s ID card reader is not approved for use yet. Please go to a service window or ask staff.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>未能确认是您本人</source>
        <translation>We could not confirm it is you</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>这次没有核验成功，没关系。可以再试一次，也可以改用其他方式。</source>
        <translation>It did not work this time, and that is all right. You can try again or choose another way.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>刷脸核验已结束</source>
        <translation>The face check has ended</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次不能再刷脸核验，请改用短信验证码或请工作人员核验。</source>
        <translation>The face check cannot be used again this time. Please use a text message code or ask staff to verify you.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>读卡超时</source>
        <translation>Card reading timed out</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>核验已过期，请重新放置证件。</source>
        <translation>The check has expired. Please place your ID card again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>验证码不正确</source>
        <translation>Wrong verification code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请核对短信中的6位验证码后重新输入。</source>
        <translation>Please check the 6-digit code in the text message and enter it again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>验证码已过期</source>
        <translation>Verification code expired</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请重新获取验证码。</source>
        <translation>Please ask for a new code.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>验证已锁定</source>
        <translation>Verification locked</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>错误次数过多，本次查询已结束。请联系工作人员。</source>
        <translation>Too many wrong attempts. This query has ended. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>工作人员确认失败</source>
        <translation>Staff confirmation failed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>工号或密码不正确。</source>
        <translation>Wrong staff ID or password.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>没有预留手机号</source>
        <translation>No phone number on record</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请选择由工作人员现场核验身份。</source>
        <translation>Please choose to have staff check your identity here.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>请稍候</source>
        <translation>Please wait</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>验证码刚刚发送，请稍后再重新获取。</source>
        <translation>A code was just sent. Please wait a little before asking for another.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>查询已超时</source>
        <translation>Query timed out</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次查询已超时，请重新开始。</source>
        <translation>This query has timed out. Please start again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>查询已结束</source>
        <translation>Query ended</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次查询已结束，请重新开始。</source>
        <translation>This query has ended. Please start again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>验证已过期</source>
        <translation>Verification expired</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请重新验证身份。</source>
        <translation>Please confirm your identity again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>终端时间异常</source>
        <translation>Kiosk clock error</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本机时间与平台不一致，请联系工作人员。</source>
        <translation>This kiosk&apos;s clock does not match the platform. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+226"/>
        <source>终端未登记</source>
        <translation>Kiosk not registered</translation>
    </message>
    <message>
        <location line="-225"/>
        <location line="+226"/>
        <source>本机尚未登记，请联系工作人员。</source>
        <translation>This kiosk is not registered yet. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="-222"/>
        <source>终端已停用</source>
        <translation>Kiosk out of service</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本机暂停服务，请到服务窗口办理。</source>
        <translation>This kiosk is out of service. Please go to a service counter.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>终端认证失败</source>
        <translation>Kiosk sign-in failed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本机与平台的认证未通过，请联系工作人员。</source>
        <translation>This kiosk could not sign in to the platform. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>请求重复</source>
        <translation>Duplicate request</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次请求未被受理，请稍后重试。</source>
        <translation>This request was not accepted. Please try again later.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>登记码无效</source>
        <translation>Invalid registration code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>登记码错误或已被使用，请向管理员重新申请登记码。</source>
        <translation>The registration code is wrong or already used. Please ask the administrator for a new one.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>身份验证已失效</source>
        <translation>Identity check no longer valid</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次查询的身份验证已失效，请重新开始。</source>
        <translation>The identity check for this query is no longer valid. Please start again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>暂无电子版报告</source>
        <translation>No electronic report</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>平台暂不提供电子版报告，本机将自行生成。</source>
        <translation>The platform has no electronic report right now. This kiosk will make one itself.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>记录不存在</source>
        <translation>Record not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>报告中没有这条记录，无法提出异议。请联系工作人员。</source>
        <translation>This record is not in the report, so it cannot be disputed. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>报告不存在</source>
        <translation>Report not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>找不到本次查询的报告，请重新开始。</source>
        <translation>The report for this query cannot be found. Please start again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>请求不完整</source>
        <translation>Incomplete request</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+15"/>
        <location line="+10"/>
        <source>本次请求未被受理，请联系工作人员。</source>
        <translation>This request was not accepted. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="-21"/>
        <source>请求冲突</source>
        <translation>Conflicting request</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本次请求与之前的请求冲突，请联系工作人员。</source>
        <translation>This request conflicts with an earlier one. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>内容过大</source>
        <translation>Too much text</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>提交的内容过大，请缩短后重试。</source>
        <translation>What you submitted is too long. Please shorten it and try again.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>请求格式错误</source>
        <translation>Request format error</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>内容不存在</source>
        <translation>Not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>要查找的内容不存在，请联系工作人员。</source>
        <translation>What was asked for could not be found. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>请求方式错误</source>
        <translation>Request method error</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>刷脸没有通过，没关系</source>
        <translation>The face check did not pass, and that is all right</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>证件照片年代较久、戴眼镜或光线不好时常会这样。请改用短信验证码，或请工作人员现场核验。</source>
        <translation>This often happens with an old ID photo, glasses or poor light. Please use a text message code, or ask staff to verify you here.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>暂时不能刷脸核验</source>
        <translation>The face check is not available right now</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请改用短信验证码，或请工作人员现场核验。</source>
        <translation>Please use a text message code, or ask staff to verify you here.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>证件已取出</source>
        <translation>ID card removed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>读卡时证件被取出，请重新放置证件。</source>
        <translation>The ID card was removed while being read. Please place it again.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>不是居民身份证</source>
        <translation>Not a resident ID card</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请放置本人的居民身份证。</source>
        <translation>Please place your own resident ID card.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>请重新放置证件</source>
        <translation>Please place the card again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请先将身份证从读卡区拿开，再重新放上。</source>
        <translation>Please lift your ID card off the card reader, then put it back.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>打印机缺纸</source>
        <translation>Printer out of paper</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>打印机缺纸，请联系工作人员加纸后重试。</source>
        <translation>The printer is out of paper. Please ask staff to add paper, then try again.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>打印机盖未关</source>
        <translation>Printer cover open</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请联系工作人员关好打印机盖后重试。</source>
        <translation>Please ask staff to close the printer cover, then try again.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>打印失败</source>
        <translation>Printing failed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>打印机出现故障，可以重试或联系工作人员。</source>
        <translation>The printer has a fault. You can try again or ask staff for help.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>读卡器不可用</source>
        <translation>Card reader unavailable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>读卡器暂时不可用，请联系工作人员。</source>
        <translation>The card reader is not available right now. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>读卡失败</source>
        <translation>Card could not be read</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>无法读取证件，请重新放置证件后再试。</source>
        <translation>Your ID card could not be read. Please place it again and retry.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>信用平台暂时无法连接</source>
        <translation>Cannot reach the credit platform</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>现在不能查询个人信用报告，您的证件没有被读取。平台恢复后本机会自动恢复服务，您可以稍后再来，或到大厅服务台请工作人员帮您办理。</source>
        <translation>Personal credit reports cannot be looked up right now, and your card was not read. This kiosk will resume by itself once the platform is back: you can come back later, or ask the staff at the service desk to help you.</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>服务暂时不可用</source>
        <translation>Service temporarily unavailable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>暂时无法连接信用平台，请稍后再试，或到服务窗口办理。</source>
        <translation>The credit platform cannot be reached right now. Please try again later, or go to a service counter.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>报告无法核验</source>
        <translation>Report could not be verified</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>收到的报告未通过签名核验，不能显示。请联系工作人员。</source>
        <translation>The report received failed its signature check and cannot be shown. Please ask staff for help.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>系统错误</source>
        <translation>System error</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>出现了意外问题，请联系工作人员。</source>
        <translation>Something unexpected went wrong. Please ask staff for help.</translation>
    </message>
    <message>
        <location filename="../../ui/screens/base.py" line="+150"/>
        <source>还可以尝试 %n 次。</source>
        <translation>Attempts left: %n.</translation>
    </message>
</context>
<context>
    <name>FaceCheckPage</name>
    <message>
        <location filename="../../ui/screens/face_check.py" line="+64"/>
        <location line="+33"/>
        <source>请站在屏幕正前方，把脸放进椭圆框里。</source>
        <translation>Stand right in front of the screen with your face inside the oval.</translation>
    </message>
    <message>
        <location line="-32"/>
        <location line="+18"/>
        <source>请不要让帽子、口罩或手挡住脸。</source>
        <translation>Do not let a hat, a mask or your hand cover your face.</translation>
    </message>
    <message>
        <location line="-17"/>
        <source>光线太暗时，请站到亮一点的地方。</source>
        <translation>If it is too dark, move to a brighter spot.</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+5"/>
        <source>镜头里只能有您一个人，请身边的人稍微让开。</source>
        <translation>Only you may be in the picture: please ask people near you to step aside.</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>请站在屏幕正前方，离屏幕近一点。</source>
        <translation>Stand right in front of the screen, a little closer.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>请您本人从头做到尾，中途不要换人。</source>
        <translation>Please do every step yourself, without anyone taking your place.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>请您本人正对摄像头，按提示慢慢转头。</source>
        <translation>Face the camera yourself and turn your head slowly as asked.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>画面一直不动时，请稍等片刻再试，或改用其他方式。</source>
        <translation>If the picture does not move, wait a moment and try again, or choose another way.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>看到提示后再转头，转到一侧停一下。</source>
        <translation>Turn only when asked, and hold the turn for a moment.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>转头的幅度可以稍大一些。</source>
        <translation>You can turn your head a little further.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>向左是向您自己的左手边转，屏幕上的画面像镜子一样。</source>
        <translation>Left means towards your own left hand: the picture on the screen is like a mirror.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>一次只转一边，看清提示再转。</source>
        <translation>Turn one way at a time, after reading the instruction.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>请摘下眼镜和帽子，露出整张脸。</source>
        <translation>Take off your glasses and hat so your whole face shows.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请站到光线充足的地方，避免背对窗户或强光。</source>
        <translation>Stand in good light, not with a window or a bright lamp behind you.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请正对摄像头，保持不动，直到出现下一个提示。</source>
        <translation>Face the camera and hold still until the next instruction appears.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>请按屏幕上的提示慢慢转头。</source>
        <translation>Turn your head slowly as the screen asks.</translation>
    </message>
    <message>
        <location line="+225"/>
        <source>摄像头已开启</source>
        <translation>Camera on</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>摄像头画面，像镜子一样</source>
        <translation>Camera picture, shown like a mirror</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>可以这样试试：</source>
        <translation>Things that help:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>改用其他方式</source>
        <translation>Use another way</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>再试一次</source>
        <translation>Try again</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>还可以再试 %1 次。</source>
        <translation>Tries left: %1.</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>正在准备摄像头…</source>
        <translation>Getting the camera ready…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请稍候，不要取出身份证。</source>
        <translation>Please wait, and leave your ID card in place.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>转到一侧后停一下，等屏幕出现下一个提示。</source>
        <translation>Hold the turn for a moment until the next instruction appears.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>请慢慢向左转头</source>
        <translation>Slowly turn your head to your left</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>请慢慢向右转头</source>
        <translation>Slowly turn your head to your right</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>请正对摄像头</source>
        <translation>Please face the camera</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>把脸放进椭圆框里，看着屏幕，等下一个提示。</source>
        <translation>Put your face inside the oval, look at the screen and wait for the next instruction.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>正在核验…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>正在等信用平台的核验结果，请稍候。</source>
        <translation>Waiting for the credit platform&apos;s answer. Please wait.</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>这次还剩 %1 秒</source>
        <translation>%1 seconds left for this try</translation>
    </message>
</context>
<context>
    <name>FaceConsentPage</name>
    <message>
        <location filename="../../ui/screens/face_consent.py" line="+126"/>
        <source>信用平台的说明：</source>
        <translation>Notice from the credit platform (in Chinese):</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>简单地说：</source>
        <translation>In short:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>比对的是您现在的脸和身份证里的照片。</source>
        <translation>Your face now is compared with the photo on your ID card.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>只在这台机器上比对。</source>
        <translation>The comparison happens on this machine only.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>照片和脸部图像不保存，也不发送；只把核验结果告诉信用平台。</source>
        <translation>No photo or picture of your face is kept or sent; only the result goes to the credit platform.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>不想刷脸也没关系，可以用短信验证码，或请工作人员核验。</source>
        <translation>If you would rather not, that is fine: use a text message code, or ask staff to verify you.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>不同意，用其他方式</source>
        <translation>Disagree, use another way</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>同意，开始刷脸</source>
        <translation>Agree, start the face check</translation>
    </message>
</context>
<context>
    <name>IdleScreen</name>
    <message>
        <location filename="../../ui/screens/idle.py" line="+64"/>
        <source>个人公共信用报告 自助查询</source>
        <translation>Personal public credit report: self-service</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>查看本人的公共信用记录，了解如何修复失信记录，并打印带验证码的报告。</source>
        <translation>See your public credit records, learn how to repair negative records, and print a report with a verification code.</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>本机暂停服务</source>
        <translation>This kiosk is out of service</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>请到服务台办理，或使用大厅里的其他自助终端。给您带来不便，敬请谅解。</source>
        <translation>Please go to the service desk or use another self-service kiosk in the hall. We apologize for the inconvenience.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>信用平台暂时无法连接</source>
        <translation>Cannot reach the credit platform</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>现在不能查询和打印个人信用报告，网络恢复后本机会自动恢复。下方的办事时间、公告和信用修复指南仍可查看；急需办理请到大厅服务台。</source>
        <translation>Credit reports cannot be viewed or printed right now. The kiosk will work again by itself when the network is back. Opening hours, notices and credit repair guides below can still be read. If it is urgent, please go to the hall service desk.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>读卡器暂时不能使用</source>
        <translation>The card reader cannot be used right now</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>本机恢复后会自动继续服务。急需办理请到大厅服务台，或使用其他自助终端。</source>
        <translation>This kiosk will serve again by itself once it is fixed. If it is urgent, please go to the service desk or use another kiosk.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>请将本人居民身份证放在下方读卡区</source>
        <translation>Please place your resident ID card on the card reader below</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>没有手机也能查询：工作人员可以现场为您核验身份。需要帮助请按“呼叫工作人员”。</source>
        <translation>No mobile phone? No problem: staff can check your identity here. For help, press “Call staff”.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>已切换到大字和语音模式，请放置身份证</source>
        <translation>Large text and voice are on: place your ID card</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>看不清？点这里：大字 + 语音提示</source>
        <translation>Hard to read? Tap here: large text + voice</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>%1&#x3000;办事时间：%2</source>
        <translation>%1 · Opening hours: %2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>【公告】%1：%2</source>
        <translation>[Notice] %1: %2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>信用修复指南：%1</source>
        <translation>Credit repair guides: %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>（信息更新于 %1）</source>
        <translation>(Updated %1)</translation>
    </message>
</context>
<context>
    <name>InsertCardAnimation</name>
    <message>
        <location filename="../../ui/widgets/attract.py" line="+123"/>
        <source>动画：将身份证放在读卡区</source>
        <translation>Animation: placing the ID card on the card reader</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../../ui/widgets/keypad.py" line="+40"/>
        <location line="+1"/>
        <source>清空</source>
        <translation>Clear</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>删除</source>
        <translation>Delete</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="+255"/>
        <source>个人公共信用报告自助查询</source>
        <translation>Personal public credit report self-service</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>信用服务自助终端</source>
        <translation>Credit self-service kiosk</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>已呼叫工作人员，请稍候</source>
        <translation>Staff called, please wait</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>已呼叫工作人员</source>
        <translation>Staff called</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>信用平台繁忙，正在排队，请稍候</source>
        <translation>The credit platform is busy: your request is queued, please wait</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>信用平台繁忙，请稍候</source>
        <translation>The credit platform is busy, please wait</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+1"/>
        <source>呼叫工作人员</source>
        <translation>Call staff</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>标准模式</source>
        <translation>Standard text</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>大字模式</source>
        <translation>Large text</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>切换到标准字号</source>
        <translation>Switch to standard text size</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>切换到大字模式，有语音提示</source>
        <translation>Switch to large text with voice prompts</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>打开语音</source>
        <translation>Turn voice on</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>关闭语音</source>
        <translation>Turn voice off</translation>
    </message>
</context>
<context>
    <name>PagedScroll</name>
    <message>
        <location filename="../../ui/widgets/paged_scroll.py" line="+73"/>
        <source>▲ 上一页</source>
        <translation>▲ Previous</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>▼ 下一页</source>
        <translation>▼ Next</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>上一页</source>
        <translation>Previous page</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>下一页</source>
        <translation>Next page</translation>
    </message>
</context>
<context>
    <name>PrintingScreen</name>
    <message>
        <location filename="../../ui/screens/printing.py" line="+71"/>
        <source>正在打印…</source>
        <translation>Printing…</translation>
    </message>
    <message>
        <location line="-16"/>
        <source>凭条将从下方出纸口送出，请稍候。</source>
        <translation>Your printout will come out of the paper slot below. Please wait.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>打印完成前，请不要取走身份证。</source>
        <translation>Please leave your ID card in place until printing is finished.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>正在打印</source>
        <translation>Printing</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>出纸口</source>
        <translation>Paper slot</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>出纸口在屏幕下方</source>
        <translation>The paper slot is below the screen</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+3"/>
        <source>正在准备打印…</source>
        <translation>Getting ready to print…</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>正在检查打印机的纸张和状态</source>
        <translation>Checking the printer&apos;s paper and status</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>正在向信用平台登记本次打印</source>
        <translation>Registering this print with the credit platform</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>打印机正常，凭条正在送出</source>
        <translation>The printer is ready; your printout is coming out</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>凭条已打印</source>
        <translation>Printout done</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>请取走凭条。完整报告正在大厅的A4打印机上打印。</source>
        <translation>Please take your printout. The full report is printing on the hall&apos;s A4 printer.</translation>
    </message>
</context>
<context>
    <name>QrView</name>
    <message>
        <location filename="../../ui/widgets/qr_view.py" line="+35"/>
        <source>二维码</source>
        <translation>QR code</translation>
    </message>
</context>
<context>
    <name>ReadingScreen</name>
    <message>
        <location filename="../../ui/screens/reading.py" line="+24"/>
        <source>正在读取证件…</source>
        <translation>Reading your ID card…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>正在读取身份证芯片中的信息，请稍候。</source>
        <translation>Reading the information in the ID card chip. Please wait.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>读卡期间请不要移动身份证</source>
        <translation>Please do not move your ID card while it is being read</translation>
    </message>
</context>
<context>
    <name>RepairGuidePage</name>
    <message>
        <location filename="../../ui/screens/repair_guide.py" line="+73"/>
        <source>怎么做</source>
        <translation>What to do</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>到哪里办</source>
        <translation>Where to go</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>带什么材料</source>
        <translation>What to bring</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>正在获取修复指引…</source>
        <translation>Getting the repair guide…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返回报告</source>
        <translation>Back to report</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>提出异议</source>
        <translation>Dispute</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>打印修复指引</source>
        <translation>Print guide</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>打印修复指引，带回家按步骤办理</source>
        <translation>Print the repair guide, to follow step by step at home</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>窗口：%1</source>
        <translation>Counter: %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>办理时间：%1</source>
        <translation>Opening hours: %1</translation>
    </message>
</context>
<context>
    <name>ReportScreen</name>
    <message>
        <location filename="../../ui/screens/report.py" line="+64"/>
        <source>状态：%1</source>
        <translation>Status: %1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>可申请信用修复（%1起）</source>
        <translation>Credit repair possible (from %1)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>可申请信用修复</source>
        <translation>Credit repair possible</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>暂不可申请信用修复</source>
        <translation>Credit repair not possible yet</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>您有 %1 条失信记录。点每条记录下的“怎样修复”，看看怎么办。</source>
        <translation>Negative records: %1. Tap “How to repair” under each record to see what to do.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>您没有失信记录，信用状况良好。</source>
        <translation>You have no negative records. Your credit is in good standing.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>有 %1 条失信记录&#x3000;%2 条守信记录</source>
        <translation>Negative records: %1 · Positive records: %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>无失信记录&#x3000;%2 条守信记录</source>
        <translation>No negative records · Positive records: %2</translation>
    </message>
    <message>
        <location line="+118"/>
        <source>个人公共信用报告</source>
        <translation>Personal public credit report</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>结束查询</source>
        <translation>Finish</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请工作人员处理</source>
        <translation>Ask staff for help</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>存到手机</source>
        <translation>Save to phone</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>存到手机：扫码下载报告</source>
        <translation>Save to phone: scan a code to download the report</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>重新打印</source>
        <translation>Print again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>打印报告</source>
        <translation>Print report</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>修复指引已打印，请从出纸口取走。</source>
        <translation>The repair guide has been printed. Please take it from the paper slot.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>异议已提交，信用平台将核查处理；进度可到服务窗口查询。</source>
        <translation>Your dispute has been submitted and the credit platform will look into it. You can ask about progress at a service counter.</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>已提出异议</source>
        <translation>Disputed</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+145"/>
        <source>提出异议</source>
        <translation>Dispute</translation>
    </message>
    <message>
        <location line="-112"/>
        <source>报告编号 %1&#x3000;生成时间 %2&#x3000;验证码 %3</source>
        <translation>Report no. %1 · Created %2 · Verification code %3</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>%1：无记录</source>
        <translation>%1: no records</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1（%2条）</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>怎样修复</source>
        <translation>How to repair</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>怎样修复：%1</source>
        <translation>How to repair: %1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>对这条记录提出异议：%1</source>
        <translation>Dispute this record: %1</translation>
    </message>
</context>
<context>
    <name>SecondFactorScreen</name>
    <message>
        <location filename="../../ui/screens/second_factor.py" line="+178"/>
        <source>确认是您本人</source>
        <translation>Confirm it is you</translation>
    </message>
    <message>
        <location line="-117"/>
        <location line="+1"/>
        <source>请工作人员现场核验</source>
        <translation>Verify with staff</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>刷脸核验，照片不保存</source>
        <translation>Face check (no photo is kept)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>也可以选择：</source>
        <translation>Or choose:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>发送短信验证码</source>
        <translation>Send a code by text message</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>您没有预留手机号码，请工作人员现场为您核验身份。</source>
        <translation>There is no phone number on record for you. Please have staff check your identity here.</translation>
    </message>
    <message>
        <location filename="../../ui/screens/sms_code.py" line="+66"/>
        <source>请输入短信中的6位验证码</source>
        <translation>Enter the 6-digit code from the text message</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>已输入的验证码</source>
        <translation>Code entered</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+98"/>
        <source>重新发送验证码</source>
        <translation>Resend code</translation>
    </message>
    <message>
        <location line="-97"/>
        <location line="+2"/>
        <source>没有收到短信？请工作人员核验</source>
        <translation>No text message? Verify with staff</translation>
    </message>
    <message>
        <location line="+93"/>
        <source>%1 秒后自动发送</source>
        <translation>Sending in %1 s</translation>
    </message>
    <message>
        <location filename="../../ui/screens/staff_check.py" line="+110"/>
        <location line="+84"/>
        <source>工号</source>
        <translation>Staff ID</translation>
    </message>
    <message>
        <location line="-83"/>
        <location line="+89"/>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <location line="-88"/>
        <location line="+1"/>
        <source>改用短信验证码</source>
        <translation>Use a text message instead</translation>
    </message>
    <message>
        <location filename="../../ui/screens/entry_page.py" line="+72"/>
        <location line="+35"/>
        <source>确认</source>
        <translation>Confirm</translation>
    </message>
    <message>
        <location filename="../../ui/screens/second_factor.py" line="+10"/>
        <source>发送短信验证码到 %1</source>
        <translation>Send a code to %1</translation>
    </message>
    <message>
        <location filename="../../ui/screens/sms_code.py" line="-69"/>
        <source>验证码已发送至 %1</source>
        <translation>Code sent to %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>稍后将自动发送验证码至 %1</source>
        <translation>The code will be sent to %1 shortly</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>正在发送验证码…</source>
        <translation>Sending code…</translation>
    </message>
    <message>
        <location filename="../../ui/screens/staff_check.py" line="+52"/>
        <source>已通知工作人员，请稍候。</source>
        <translation>Staff have been called. Please wait.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>工作人员核对您本人与证件后，在此输入工号和密码。</source>
        <translation>After checking you and your ID card, staff enter their staff ID and password here.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>请工作人员核对本人与证件后输入</source>
        <translation>Staff will check you and your ID card, then sign in here</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>您没有预留手机号码，请工作人员核对本人与证件后输入</source>
        <translation>No phone number on record: staff will check you and your ID card, then sign in here</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>如需帮助，请按屏幕上方的“呼叫工作人员”。</source>
        <translation>For help, press “Call staff” at the top of the screen.</translation>
    </message>
    <message>
        <location filename="../../ui/screens/sms_code.py" line="+55"/>
        <source>正在重新发送…</source>
        <translation>Resending…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 秒后可重新发送</source>
        <translation>Resend in %1 s</translation>
    </message>
    <message>
        <location filename="../../ui/screens/staff_check.py" line="+30"/>
        <source>正在输入</source>
        <translation>Now entering</translation>
    </message>
    <message>
        <location filename="../../ui/screens/entry_page.py" line="-2"/>
        <source>正在核对…</source>
        <translation>Checking…</translation>
    </message>
</context>
<context>
    <name>Sections</name>
    <message>
        <location filename="../../kiosk/platform/report.py" line="+29"/>
        <source>身份信息</source>
        <translation>Identity information</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>表彰奖励</source>
        <translation>Commendations and awards</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>守信激励名单</source>
        <translation>Good-credit reward lists</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>行政许可</source>
        <translation>Administrative licenses</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>行政处罚</source>
        <translation>Administrative penalties</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>失信被执行人</source>
        <translation>Judgment defaulters</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>严重失信主体名单</source>
        <translation>Serious dishonesty list</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>纳税信用</source>
        <translation>Tax credit rating</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>社会保险</source>
        <translation>Social insurance</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>信用承诺履约</source>
        <translation>Credit commitments kept</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>信用修复记录</source>
        <translation>Credit repair records</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>异议处理</source>
        <translation>Disputes</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>查询记录</source>
        <translation>Query history</translation>
    </message>
</context>
<context>
    <name>SharePage</name>
    <message>
        <location filename="../../ui/screens/share.py" line="+61"/>
        <source>用手机扫码，下载电子版报告</source>
        <translation>Scan with your phone to download the report</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>1. 打开手机相机或微信“扫一扫”
2. 对准左边的二维码
3. 在手机上打开并保存报告（PDF）</source>
        <translation>1. Open your phone camera or WeChat “Scan”
2. Point it at the QR code on the left
3. Open and save the report (PDF) on your phone</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>二维码只显示在屏幕上，不会打印；只能下载一次，请勿让他人扫描。</source>
        <translation>The QR code is only shown on screen, never printed. It works for one download only: do not let others scan it.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返回报告</source>
        <translation>Back to report</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>二维码已过期。如仍需要，请返回报告后重新获取。</source>
        <translation>The QR code has expired. If you still need it, go back to the report and get a new one.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 分 %2 秒内有效</source>
        <translation>Valid for %1 min %2 s</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message>
        <location filename="../../kiosk/platform/report.py" line="+4"/>
        <source>有效</source>
        <translation>In effect</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>已修复</source>
        <translation>Repaired</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>已过期</source>
        <translation>Expired</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>异议处理中</source>
        <translation>Under dispute</translation>
    </message>
</context>
<context>
    <name>StillThereOverlay</name>
    <message>
        <location filename="../../ui/widgets/still_there.py" line="+67"/>
        <source>您还在吗</source>
        <translation>Are you still there</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>您还在吗？</source>
        <translation>Are you still there?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>剩余秒数</source>
        <translation>Seconds left</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>触摸屏幕任意位置或按“继续”，即可继续查询。</source>
        <translation>Touch anywhere on the screen or press “Continue” to carry on.</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+1"/>
        <source>继续</source>
        <translation>Continue</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>%1 秒后将结束本次查询，并清除您的全部信息</source>
        <translation>In %1 seconds this query will end and all your information will be erased</translation>
    </message>
</context>
<context>
    <name>TextKeyboard</name>
    <message>
        <location filename="../../ui/widgets/text_keyboard.py" line="+153"/>
        <source>中</source>
        <translation>Pinyin</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>英</source>
        <translation>ABC</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+9"/>
        <source>空格</source>
        <translation>Space</translation>
    </message>
    <message>
        <location line="-8"/>
        <location line="+9"/>
        <source>清空</source>
        <translation>Clear</translation>
    </message>
    <message>
        <location line="-8"/>
        <location line="+9"/>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>中英文切换</source>
        <translation>Switch between Chinese and English input</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>上一页候选字</source>
        <translation>Previous candidates</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>下一页候选字</source>
        <translation>More candidates</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>删除</source>
        <translation>Delete</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>逗号</source>
        <translation>Comma</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>句号</source>
        <translation>Full stop</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>问号</source>
        <translation>Question mark</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>顿号</source>
        <translation>Enumeration comma</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>键盘</source>
        <translation>Keyboard</translation>
    </message>
</context>
<context>
    <name>VerifyingScreen</name>
    <message>
        <location filename="../../ui/screens/verifying.py" line="+24"/>
        <source>正在核验身份…</source>
        <translation>Checking your identity…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>正在检查证件真伪并与信用平台核对，请稍候。</source>
        <translation>Checking that your ID card is genuine and confirming with the credit platform. Please wait.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>核验期间请不要移动身份证</source>
        <translation>Please do not move your ID card during the check</translation>
    </message>
</context>
<context>
    <name>Voice</name>
    <message>
        <location filename="../../kiosk/voice/prompts.py" line="+40"/>
        <source>查询前请阅读说明。同意，请按屏幕右下角的“同意并继续”；不同意，请按“不同意”。</source>
        <translation>Please read the notice before you start. To agree, press “Agree and continue” at the bottom right of the screen. If you do not agree, press “Disagree”.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>正在读取身份证，请不要移动证件。</source>
        <translation>Reading your ID card. Please do not move it.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>正在核验身份，请稍候。</source>
        <translation>Checking your identity. Please wait.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>正在打印，凭条将从下方出纸口送出，请稍候。</source>
        <translation>Printing. Your printout will come out of the paper slot below. Please wait.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>请正对摄像头，把脸放进椭圆框里。</source>
        <translation>Please face the camera, with your face inside the oval.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请慢慢向左转头，转到一侧停一下。</source>
        <translation>Slowly turn your head to your left, and hold it there for a moment.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请慢慢向右转头，转到一侧停一下。</source>
        <translation>Slowly turn your head to your right, and hold it there for a moment.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>请站在屏幕正前方，不要挡住脸。</source>
        <translation>Stand right in front of the screen, and keep your face uncovered.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>镜头里只能有您一个人，请身边的人稍微让开。</source>
        <translation>Only you may be in the picture: please ask people near you to step aside.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请您本人从头做到尾，中途不要换人。</source>
        <translation>Please do every step yourself, without anyone taking your place.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请您本人正对摄像头，按提示慢慢转头。</source>
        <translation>Face the camera yourself and turn your head slowly as asked.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>看到提示后再转头，转到一侧停一下。</source>
        <translation>Turn only when asked, and hold the turn for a moment.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>向左是向您自己的左手边转。</source>
        <translation>Left means towards your own left hand.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>请摘下眼镜和帽子，站到光线充足的地方。</source>
        <translation>Take off your glasses and hat, and stand in good light.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>刷脸核验会把您现在的脸和身份证里的照片比一比，照片不保存。同意，请按“同意，开始刷脸”；不想刷脸，请按“不同意，用其他方式”。</source>
        <translation>The face check compares your face now with the photo on your ID card; no photo is kept. To agree, press “Agree, start the face check”. If you would rather not, press “Disagree, use another way”.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>正在准备摄像头，请稍候，不要取出身份证。</source>
        <translation>Getting the camera ready. Please wait, and leave your ID card in place.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>正在核验，请稍候。</source>
        <translation>Checking. Please wait.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>还可以再试%1次。要再试，请按“再试一次”；也可以按“改用其他方式”。</source>
        <translation>Tries left: %1. To try again, press “Try again”; or press “Use another way”.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>已通知工作人员，请稍候。工作人员核对您本人和证件后，会帮您输入。</source>
        <translation>Staff have been called. Please wait. After checking you and your ID card, they will sign in for you.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>验证码稍后会自动发到您的手机，请稍候。</source>
        <translation>The code will be sent to your phone shortly. Please wait.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>正在发送短信验证码，请稍候。</source>
        <translation>Sending a verification code to your phone. Please wait.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>验证码已经发到您的手机。请在屏幕右边的数字键上输入6位验证码，再按“确认”。没有收到短信，可以请工作人员核验。</source>
        <translation>A verification code has been sent to your phone. Enter the 6-digit code on the number keys on the right of the screen, then press “Confirm”. If no text message arrives, you can ask staff to verify you.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>请选择核验方式：刷脸核验，照片不保存；或者请工作人员现场核验。</source>
        <translation>Please choose how to confirm it is you: a face check, where no photo is kept, or a check in person by staff.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>请选择核验方式：刷脸核验，照片不保存；或者发短信验证码到您的手机；或者请工作人员现场核验。</source>
        <translation>Please choose how to confirm it is you: a face check, where no photo is kept; a code sent to your phone by text message; or a check in person by staff.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>请选择核验方式：发短信验证码到您的手机，或者请工作人员现场核验。</source>
        <translation>Please choose how to confirm it is you: a code sent to your phone by text message, or a check in person by staff.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>这是这条记录的修复办法。按“打印修复指引”，可以带回家照着办。</source>
        <translation>This is how to repair this record. Press “Print guide” to take it home and follow the steps.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>请选择提出异议的原因，然后按“提交异议”。</source>
        <translation>Please choose the reason for your dispute, then press “Submit dispute”.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>请用手机扫描屏幕上的二维码，下载电子版报告。</source>
        <translation>Please scan the QR code on the screen with your phone to download the report.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>您的报告已经生成。您有%1条失信记录，每条记录下面有“怎样修复”按钮。要打印报告，请按右下角的“打印报告”。</source>
        <translation>Your report is ready. Number of negative records: %1. Under each one there is a “How to repair” button. To print the report, press “Print report” at the bottom right.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>您的报告已经生成。您没有失信记录，信用状况良好。要打印报告，请按右下角的“打印报告”。</source>
        <translation>Your report is ready. You have no negative records, and your credit is in good standing. To print the report, press “Print report” at the bottom right.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>您还在吗？要继续查询，请触摸屏幕。</source>
        <translation>Are you still there? To continue, please touch the screen.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>打印完成。请取走凭条，再取走您的身份证。</source>
        <translation>Printing is done. Please take your printout, and then your ID card.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>查询结束。请取走您的身份证。</source>
        <translation>Your query is finished. Please take your ID card.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>已打开大字和语音模式。请把您的身份证放在屏幕下方的读卡区。</source>
        <translation>Large text and voice are on. Please place your ID card on the card reader below the screen.</translation>
    </message>
</context>
</TS>
